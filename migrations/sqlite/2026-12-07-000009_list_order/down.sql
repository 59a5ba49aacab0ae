DROP INDEX airings_by_date;
DROP INDEX stock_movements_by_day;
DROP INDEX receipts_by_date;
DROP INDEX shipments_by_delivered;
