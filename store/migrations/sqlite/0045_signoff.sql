-- The sign-off of a draft version (docs/signoff.md): its publication for
-- review with the objection window's deadline, each provider's and
-- district's confirmation (explicit, carried over from the previous
-- version when the party's lines did not change, or by lapse of the
-- window), the objections to a line with their evidence and resolution,
-- and the office's approval. Rows are appended and, for an objection,
-- resolved and closed; nothing is deleted.
-- Instants are UTC RFC 3339 text, dates YYYY-MM-DD.
CREATE TABLE signoff_publications (
    year         INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    published_at TEXT NOT NULL,
    user_name    TEXT NOT NULL,
    role         TEXT NOT NULL,
    deadline     TEXT NOT NULL,
    PRIMARY KEY (year, version),
    FOREIGN KEY (year, version) REFERENCES statements (year, version)
);
CREATE TABLE signoff_confirmations (
    year         INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    party        TEXT NOT NULL CHECK (party IN ('provider', 'district')),
    code         TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('confirmed', 'carried', 'lapsed')),
    user_name    TEXT NOT NULL,
    role         TEXT NOT NULL,
    at           TEXT NOT NULL,
    lines_sha256 TEXT NOT NULL,
    carried_from INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (year, version, party, code),
    FOREIGN KEY (year, version) REFERENCES signoff_publications (year, version)
);
CREATE TABLE signoff_objections (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    year              INTEGER NOT NULL,
    version           INTEGER NOT NULL,
    party             TEXT NOT NULL CHECK (party IN ('provider', 'district')),
    code              TEXT NOT NULL,
    user_name         TEXT NOT NULL,
    role              TEXT NOT NULL,
    at                TEXT NOT NULL,
    provider_code     TEXT NOT NULL,
    district_code     TEXT NOT NULL,
    department_code   TEXT NOT NULL,
    resource_id       TEXT NOT NULL,
    item_code         TEXT NOT NULL,
    reason            TEXT NOT NULL,
    evidence_name     TEXT NOT NULL DEFAULT '',
    evidence_sha256   TEXT NOT NULL DEFAULT '',
    evidence_size     INTEGER NOT NULL DEFAULT 0,
    status            TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'rejected')),
    resolved_by       TEXT NOT NULL DEFAULT '',
    resolved_role     TEXT NOT NULL DEFAULT '',
    resolved_at       TEXT,
    resolution        TEXT NOT NULL DEFAULT '',
    closed_by_version INTEGER NOT NULL DEFAULT 0,
    FOREIGN KEY (year, version) REFERENCES signoff_publications (year, version)
);
CREATE INDEX signoff_objections_year ON signoff_objections (year, version);
CREATE TABLE signoff_evidence (
    objection_id INTEGER PRIMARY KEY REFERENCES signoff_objections (id),
    body         BLOB NOT NULL
);
CREATE TABLE signoff_approvals (
    year        INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    user_name   TEXT NOT NULL,
    role        TEXT NOT NULL,
    at          TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    PRIMARY KEY (year, version),
    FOREIGN KEY (year, version) REFERENCES signoff_publications (year, version)
);
