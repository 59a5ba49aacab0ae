DROP TABLE delivery_codes;
