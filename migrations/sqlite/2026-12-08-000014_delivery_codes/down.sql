DROP TABLE recipient_responses;
DROP TABLE recipient_confirmation_lines;
DROP TABLE recipient_confirmations;
DROP TABLE delivery_codes;
