-- 值班: who answers for a street at a given hour, texted when a report holds words of danger.
-- Staff keep a mobile number for it, sealed like a reporter's; a message may go to staff.
ALTER TABLE users ADD COLUMN phone_enc BYTEA;
ALTER TABLE users ADD COLUMN phone_masked TEXT;
ALTER TABLE messages ADD COLUMN staff_id TEXT;

CREATE TABLE duty_shifts (
    id          TEXT PRIMARY KEY,
    street_code TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id),
    starts_at   BIGINT NOT NULL,
    ends_at     BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX duty_shifts_by_street ON duty_shifts (street_code, ends_at);
