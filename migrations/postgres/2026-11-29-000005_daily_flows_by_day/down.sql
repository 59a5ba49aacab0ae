DROP INDEX daily_flows_by_day;
