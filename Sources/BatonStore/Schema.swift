/// The store's schema, as migrations from an empty file. Each entry moves `user_version` from its
/// index to its index plus one; entries are never edited once released, only appended.
enum Schema {
    /// `PRAGMA application_id` of a Baton store: "BATN".
    static let applicationID: Int64 = 0x4241_544E

    static let migrations: [String] = [
        """
        CREATE TABLE libraries (
            hash TEXT PRIMARY KEY,
            file_name TEXT NOT NULL,
            path TEXT NOT NULL,
            size INTEGER NOT NULL,
            manifest TEXT NOT NULL,
            registered_at REAL NOT NULL
        );
        CREATE TABLE flows (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            created_at REAL NOT NULL
        );
        CREATE TABLE versions (
            id INTEGER PRIMARY KEY,
            flow_id INTEGER NOT NULL REFERENCES flows(id),
            number INTEGER NOT NULL,
            library_hash TEXT NOT NULL REFERENCES libraries(hash),
            manifest TEXT NOT NULL,
            description TEXT,
            registered_at REAL NOT NULL,
            registered_by TEXT,
            source_path TEXT,
            label TEXT,
            UNIQUE (flow_id, number),
            UNIQUE (flow_id, library_hash)
        );
        CREATE TABLE flow_runs (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            flow_id INTEGER NOT NULL REFERENCES flows(id),
            version_id INTEGER NOT NULL REFERENCES versions(id),
            state_type TEXT NOT NULL,
            state_name TEXT NOT NULL,
            state_message TEXT,
            state_time REAL NOT NULL,
            parameters TEXT NOT NULL,
            result TEXT,
            created_at REAL NOT NULL,
            start_time REAL,
            end_time REAL,
            attempt INTEGER NOT NULL DEFAULT 1,
            rerun_of TEXT
        );
        CREATE INDEX flow_runs_by_created ON flow_runs(created_at);
        CREATE INDEX flow_runs_by_flow ON flow_runs(flow_id, created_at);
        CREATE INDEX flow_runs_by_name ON flow_runs(name);
        CREATE TABLE task_runs (
            id TEXT PRIMARY KEY,
            flow_run_id TEXT NOT NULL REFERENCES flow_runs(id),
            seq INTEGER NOT NULL,
            name TEXT NOT NULL,
            task_name TEXT NOT NULL,
            parent_task_run_id TEXT,
            state_type TEXT NOT NULL,
            state_name TEXT NOT NULL,
            state_message TEXT,
            state_time REAL NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            input TEXT,
            result TEXT,
            created_at REAL NOT NULL,
            start_time REAL,
            end_time REAL
        );
        CREATE INDEX task_runs_by_flow_run ON task_runs(flow_run_id, seq);
        CREATE TABLE states (
            id INTEGER PRIMARY KEY,
            flow_run_id TEXT NOT NULL,
            task_run_id TEXT,
            type TEXT NOT NULL,
            name TEXT NOT NULL,
            message TEXT,
            timestamp REAL NOT NULL
        );
        CREATE INDEX states_by_flow_run ON states(flow_run_id, id);
        CREATE TABLE logs (
            id INTEGER PRIMARY KEY,
            flow_run_id TEXT NOT NULL,
            task_run_id TEXT,
            task_run_name TEXT,
            timestamp REAL NOT NULL,
            level INTEGER NOT NULL,
            message TEXT NOT NULL
        );
        CREATE INDEX logs_by_flow_run ON logs(flow_run_id, id);
        """
    ]
}
