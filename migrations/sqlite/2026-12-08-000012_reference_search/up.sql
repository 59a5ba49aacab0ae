-- A search for any part of a shipment's reference had no index: a text that matched few
-- shipments (or none) read every shipment along the list's order to find them. FTS5's trigram
-- tokenizer indexes every three-character piece of each reference, so a search of three
-- characters or more finds its shipments directly (a phrase query matches any substring).
-- The table keeps no copy of the text (content='shipments'); the triggers keep it in step.
CREATE VIRTUAL TABLE shipment_references USING fts5(
    reference, content = 'shipments', content_rowid = 'id', tokenize = 'trigram'
);
INSERT INTO shipment_references (shipment_references) VALUES ('rebuild');

CREATE TRIGGER shipment_references_insert AFTER INSERT ON shipments BEGIN
    INSERT INTO shipment_references (rowid, reference) VALUES (new.id, new.reference);
END;

-- A draft is inserted under a temporary reference and renamed at once.
CREATE TRIGGER shipment_references_update AFTER UPDATE OF reference ON shipments BEGIN
    INSERT INTO shipment_references (shipment_references, rowid, reference) VALUES ('delete', old.id, old.reference);
    INSERT INTO shipment_references (rowid, reference) VALUES (new.id, new.reference);
END;

-- Nothing deletes a shipment today; should anything ever, its reference leaves the index too.
CREATE TRIGGER shipment_references_delete AFTER DELETE ON shipments BEGIN
    INSERT INTO shipment_references (shipment_references, rowid, reference) VALUES ('delete', old.id, old.reference);
END;
