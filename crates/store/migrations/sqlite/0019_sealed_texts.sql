-- What people typed into a case's free text (description, notes, reasons, results, comments)
-- where it held personal data (phone, identity or card numbers, e-mail addresses): the case and
-- its events keep the masked text, and the original is kept here, sealed, for a reveal with a
-- reason. One row per event and field.
CREATE TABLE sealed_texts (
    case_id TEXT NOT NULL,
    seq     INTEGER NOT NULL,
    field   TEXT NOT NULL,
    sealed  BLOB NOT NULL,
    PRIMARY KEY (case_id, seq, field)
);
