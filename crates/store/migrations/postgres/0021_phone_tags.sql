-- A keyed digest of each reporter's phone number, to find every case of a resident who asks to
-- see, correct or delete their personal data. Cases written before this are tagged by the
-- privacy job (the number is sealed; only the server can read it to tag it).
ALTER TABLE cases ADD COLUMN reporter_phone_tag TEXT;
CREATE INDEX cases_by_phone_tag ON cases (reporter_phone_tag);
