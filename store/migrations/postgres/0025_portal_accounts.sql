-- The review portal's accounts (docs/portal.md): users with a role and the
-- scope it is limited to, server-side sessions (only the SHA-256 of the
-- cookie's token is kept), failed sign-ins per user and per address (the
-- throttle survives a restart), and the audit trail of sign-ins and
-- downloads.
CREATE TABLE users (
    name                TEXT PRIMARY KEY,
    role                TEXT NOT NULL CHECK (role IN ('finance', 'office', 'district', 'department', 'provider', 'evaluator')),
    district_code       TEXT NOT NULL DEFAULT '',
    department_code     TEXT NOT NULL DEFAULT '',
    provider_code       TEXT NOT NULL DEFAULT '',
    password_hash       TEXT NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    password_changed_at TIMESTAMPTZ NOT NULL,
    disabled_at         TIMESTAMPTZ
);
CREATE TABLE sessions (
    token_sha256 TEXT PRIMARY KEY,
    user_name    TEXT NOT NULL REFERENCES users (name),
    csrf_token   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    remote_addr  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_name);
CREATE TABLE login_failures (
    key          TEXT PRIMARY KEY, -- user:NAME or addr:ADDRESS
    failures     INTEGER NOT NULL,
    first_at     TIMESTAMPTZ NOT NULL,
    locked_until TIMESTAMPTZ
);
CREATE TABLE audit (
    id          BIGSERIAL PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    user_name   TEXT NOT NULL,
    action      TEXT NOT NULL,
    remote_addr TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_at ON audit (at);
