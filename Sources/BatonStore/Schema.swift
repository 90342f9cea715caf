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
        """,
        // 2: subflows, task run attempts and kinds, caching, concurrency limits, artifacts, edges,
        // results kept in files. A task run's states move into its row (`history`, one JSON array per
        // line): a run of 100,000 tasks then writes 100,000 rows, not 400,000.
        """
        ALTER TABLE flow_runs ADD COLUMN parent_flow_run_id TEXT;
        ALTER TABLE flow_runs ADD COLUMN parent_task_run_id TEXT;
        ALTER TABLE flow_runs ADD COLUMN supervisor_pid INTEGER;
        ALTER TABLE flow_runs ADD COLUMN supervisor_start TEXT;
        CREATE INDEX flow_runs_by_parent ON flow_runs(parent_flow_run_id);
        ALTER TABLE task_runs ADD COLUMN flow_run_attempt INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE task_runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'task';
        ALTER TABLE task_runs ADD COLUMN child_flow_run_id TEXT;
        ALTER TABLE task_runs ADD COLUMN tags TEXT;
        ALTER TABLE task_runs ADD COLUMN input_key TEXT;
        ALTER TABLE task_runs ADD COLUMN cache_key TEXT;
        ALTER TABLE task_runs ADD COLUMN cached_from TEXT;
        ALTER TABLE task_runs ADD COLUMN result_path TEXT;
        ALTER TABLE task_runs ADD COLUMN history TEXT;
        CREATE TABLE task_run_edges (
            flow_run_id TEXT NOT NULL,
            upstream TEXT NOT NULL,
            downstream TEXT NOT NULL,
            kind TEXT NOT NULL,
            PRIMARY KEY (downstream, upstream)
        ) WITHOUT ROWID;
        CREATE INDEX task_run_edges_by_flow_run ON task_run_edges(flow_run_id);
        CREATE TABLE cache (
            key TEXT PRIMARY KEY,
            task_name TEXT NOT NULL,
            result TEXT,
            result_path TEXT,
            flow_run_id TEXT NOT NULL,
            task_run_id TEXT NOT NULL,
            task_run_name TEXT,
            created_at REAL NOT NULL,
            expires_at REAL
        );
        CREATE INDEX cache_by_task ON cache(task_name);
        CREATE TABLE concurrency_limits (
            tag TEXT PRIMARY KEY,
            slots INTEGER NOT NULL,
            created_at REAL NOT NULL
        );
        CREATE TABLE concurrency_slots (
            tag TEXT NOT NULL,
            task_run_id TEXT NOT NULL,
            flow_run_id TEXT NOT NULL,
            holder_pid INTEGER NOT NULL,
            holder_start TEXT NOT NULL,
            acquired_at REAL NOT NULL,
            PRIMARY KEY (tag, task_run_id)
        );
        CREATE INDEX concurrency_slots_by_task_run ON concurrency_slots(task_run_id);
        CREATE TABLE artifacts (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL,
            kind TEXT NOT NULL,
            data TEXT NOT NULL,
            description TEXT,
            flow_run_id TEXT NOT NULL,
            task_run_id TEXT,
            created_at REAL NOT NULL
        );
        CREATE INDEX artifacts_by_key ON artifacts(key, id);
        CREATE INDEX artifacts_by_flow_run ON artifacts(flow_run_id, id);
        """,
        // 3: deployments, their schedule slots (one row per deployment and fire time: the key that makes
        // scheduling exactly-once), scheduled flow runs, and workers.
        """
        CREATE TABLE deployments (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            flow_id INTEGER NOT NULL REFERENCES flows(id),
            version INTEGER,
            parameters TEXT NOT NULL,
            schedule TEXT,
            pool TEXT NOT NULL,
            catchup INTEGER NOT NULL DEFAULT 0,
            max_active INTEGER,
            paused INTEGER NOT NULL DEFAULT 0,
            is_default INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            scheduled_through INTEGER
        );
        CREATE TABLE schedule_slots (
            deployment_id INTEGER NOT NULL,
            scheduled_time INTEGER NOT NULL,
            flow_run_id TEXT,
            skipped INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL,
            PRIMARY KEY (deployment_id, scheduled_time)
        ) WITHOUT ROWID;
        ALTER TABLE flow_runs ADD COLUMN deployment_id INTEGER;
        ALTER TABLE flow_runs ADD COLUMN scheduled_time REAL;
        ALTER TABLE flow_runs ADD COLUMN pool TEXT;
        ALTER TABLE flow_runs ADD COLUMN worker_id TEXT;
        ALTER TABLE flow_runs ADD COLUMN given_parameters TEXT;
        CREATE INDEX flow_runs_due ON flow_runs(pool, state_type, scheduled_time) WHERE pool IS NOT NULL;
        CREATE INDEX flow_runs_by_deployment ON flow_runs(deployment_id, state_type) WHERE deployment_id IS NOT NULL;
        CREATE INDEX flow_runs_by_worker ON flow_runs(worker_id) WHERE worker_id IS NOT NULL;
        CREATE TABLE workers (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            pool TEXT NOT NULL,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            process_start TEXT NOT NULL,
            run_limit INTEGER NOT NULL,
            started_at REAL NOT NULL,
            heartbeat_at REAL NOT NULL,
            stopped_at REAL
        );
        """,
        // 4: the runs list filtered by state, deployment or version, newest first, stays an index walk
        // at hundreds of thousands of runs; the live-events feed finds active runs by state.
        """
        CREATE INDEX flow_runs_by_state ON flow_runs(state_type, created_at);
        CREATE INDEX flow_runs_by_deployment_created ON flow_runs(deployment_id, created_at) WHERE deployment_id IS NOT NULL;
        CREATE INDEX flow_runs_by_version ON flow_runs(version_id, created_at);
        """,
        // 5: where a deployment's runs execute, when not in their own folder under runs/.
        """
        ALTER TABLE deployments ADD COLUMN working_directory TEXT;
        """,
        // 6: runs are listed by when they ran (RunTiming.listTime: start, else scheduled, else created
        // time), alone or by flow, state, deployment or version; each stays an index walk.
        """
        DROP INDEX flow_runs_by_created;
        DROP INDEX flow_runs_by_flow;
        DROP INDEX flow_runs_by_state;
        DROP INDEX flow_runs_by_deployment_created;
        DROP INDEX flow_runs_by_version;
        CREATE INDEX flow_runs_by_time ON flow_runs(COALESCE(start_time, scheduled_time, created_at), id);
        CREATE INDEX flow_runs_by_flow_time ON flow_runs(flow_id, COALESCE(start_time, scheduled_time, created_at), id);
        CREATE INDEX flow_runs_by_state_time ON flow_runs(state_type, COALESCE(start_time, scheduled_time, created_at), id);
        CREATE INDEX flow_runs_by_deployment_time ON flow_runs(deployment_id, COALESCE(start_time, scheduled_time, created_at), id)
          WHERE deployment_id IS NOT NULL;
        CREATE INDEX flow_runs_by_version_time ON flow_runs(version_id, COALESCE(start_time, scheduled_time, created_at), id);
        """,
        // 7: who may do what: projects (everything so far is in `default`), users, their roles in
        // projects, and API keys (a prefix to find each and a hash of the whole key, never the key).
        """
        CREATE TABLE projects (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            created_at REAL NOT NULL
        );
        INSERT INTO projects (name, created_at) VALUES ('default', CAST(strftime('%s', 'now') AS REAL));
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            is_admin INTEGER NOT NULL DEFAULT 0,
            password_hash TEXT,
            created_at REAL NOT NULL,
            disabled_at REAL
        );
        CREATE TABLE memberships (
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            role TEXT NOT NULL,
            PRIMARY KEY (project_id, user_id)
        );
        CREATE TABLE api_keys (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            prefix TEXT NOT NULL UNIQUE,
            hash TEXT NOT NULL,
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            role TEXT NOT NULL,
            created_by TEXT,
            created_at REAL NOT NULL,
            last_used_at REAL,
            expires_at REAL,
            revoked_at REAL,
            UNIQUE (project_id, name)
        );
        """,
        // 8: the UI's login sessions and one-time login links: a hash of each token (the cookie or
        // the link's), never the token; a session or link lets nobody in once ended or expired.
        """
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            ended_at REAL,
            address TEXT
        );
        CREATE INDEX sessions_by_user ON sessions(user_id);
        """,
        // 9: the audit log: who did or tried what, to what, from where, and how it ended. Rows are
        // only ever appended: the store refuses to change or remove one.
        """
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at REAL NOT NULL,
            actor TEXT,
            project TEXT,
            action TEXT NOT NULL,
            target TEXT,
            address TEXT,
            result TEXT NOT NULL
        );
        CREATE INDEX audit_by_actor ON audit(actor, id);
        CREATE INDEX audit_by_project ON audit(project, id);
        CREATE TRIGGER audit_is_append_only_update BEFORE UPDATE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER audit_is_append_only_delete BEFORE DELETE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        """,
        // 10: an API key may belong to a user, and lets nobody in while they are disabled.
        """
        ALTER TABLE api_keys ADD COLUMN user_id INTEGER REFERENCES users(id) ON DELETE CASCADE;
        """,
        // 11: everything belongs to a project (migration 7 made `default` first, so its id is 1, and
        // everything so far moves there). Flow and deployment names, limits' tags and cache keys are
        // unique within a project, which SQLite changes only by rebuilding the table (the migration
        // runs with foreign keys off and checks them before it commits). A run carries its flow's
        // project, so that a project's runs list stays an index walk.
        """
        CREATE TABLE flows_v11 (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES projects(id),
            name TEXT NOT NULL,
            created_at REAL NOT NULL,
            UNIQUE (project_id, name)
        );
        INSERT INTO flows_v11 (id, project_id, name, created_at) SELECT id, 1, name, created_at FROM flows;
        DROP TABLE flows;
        ALTER TABLE flows_v11 RENAME TO flows;
        CREATE TABLE deployments_v11 (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES projects(id),
            name TEXT NOT NULL,
            flow_id INTEGER NOT NULL REFERENCES flows(id),
            version INTEGER,
            parameters TEXT NOT NULL,
            schedule TEXT,
            pool TEXT NOT NULL,
            catchup INTEGER NOT NULL DEFAULT 0,
            max_active INTEGER,
            paused INTEGER NOT NULL DEFAULT 0,
            is_default INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            scheduled_through INTEGER,
            working_directory TEXT,
            UNIQUE (project_id, name)
        );
        INSERT INTO deployments_v11 (id, project_id, name, flow_id, version, parameters, schedule, pool, catchup, max_active,
                                     paused, is_default, created_at, updated_at, scheduled_through, working_directory)
            SELECT id, 1, name, flow_id, version, parameters, schedule, pool, catchup, max_active,
                   paused, is_default, created_at, updated_at, scheduled_through, working_directory FROM deployments;
        DROP TABLE deployments;
        ALTER TABLE deployments_v11 RENAME TO deployments;
        ALTER TABLE flow_runs ADD COLUMN project_id INTEGER NOT NULL DEFAULT 1;
        DROP INDEX flow_runs_by_time;
        DROP INDEX flow_runs_by_state_time;
        CREATE INDEX flow_runs_by_project_time ON flow_runs(project_id, COALESCE(start_time, scheduled_time, created_at), id);
        CREATE INDEX flow_runs_by_project_state_time ON flow_runs(project_id, state_type, COALESCE(start_time, scheduled_time, created_at), id);
        CREATE TABLE cache_v11 (
            project_id INTEGER NOT NULL,
            key TEXT NOT NULL,
            task_name TEXT NOT NULL,
            result TEXT,
            result_path TEXT,
            flow_run_id TEXT NOT NULL,
            task_run_id TEXT NOT NULL,
            task_run_name TEXT,
            created_at REAL NOT NULL,
            expires_at REAL,
            PRIMARY KEY (project_id, key)
        );
        INSERT INTO cache_v11 SELECT 1, key, task_name, result, result_path, flow_run_id, task_run_id, task_run_name, created_at, expires_at FROM cache;
        DROP TABLE cache;
        ALTER TABLE cache_v11 RENAME TO cache;
        CREATE INDEX cache_by_project_task ON cache(project_id, task_name);
        CREATE TABLE concurrency_limits_v11 (
            project_id INTEGER NOT NULL,
            tag TEXT NOT NULL,
            slots INTEGER NOT NULL,
            created_at REAL NOT NULL,
            PRIMARY KEY (project_id, tag)
        );
        INSERT INTO concurrency_limits_v11 SELECT 1, tag, slots, created_at FROM concurrency_limits;
        DROP TABLE concurrency_limits;
        ALTER TABLE concurrency_limits_v11 RENAME TO concurrency_limits;
        ALTER TABLE concurrency_slots ADD COLUMN project_id INTEGER NOT NULL DEFAULT 1;
        """,
        // 12: many hosts. Each worker records its heartbeat period, by which a silent one is judged
        // gone; each batch of events a remote worker sends is numbered, and a run's attempt keeps
        // the last one applied, so that a batch sent again is applied once; a store that spans hosts
        // (PostgreSQL) keeps each library's bytes, base64, for the hosts that do not have its file
        // (SQLite's libraries are files beside it, and this table stays empty).
        """
        ALTER TABLE workers ADD COLUMN heartbeat_seconds REAL;
        CREATE TABLE library_files (
            hash TEXT PRIMARY KEY REFERENCES libraries(hash),
            content TEXT NOT NULL
        );
        CREATE TABLE event_batches (
            flow_run_id TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            last_batch INTEGER NOT NULL,
            PRIMARY KEY (flow_run_id, attempt)
        );
        """,
        // 13: secrets and variables, named values of a project. A secret's value is stored sealed
        // (AES-256-GCM, with a key kept outside the store), a variable's as it is.
        """
        CREATE TABLE named_values (
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            value TEXT NOT NULL,
            set_by TEXT,
            set_at REAL NOT NULL,
            PRIMARY KEY (project_id, kind, name)
        );
        """,
        // 14: notification channels, automations (their firings, once per automation and event, and
        // each action's delivery with its attempts), where the evaluation of run states has got to,
        // and inbound webhooks.
        """
        CREATE TABLE channels (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            config TEXT NOT NULL,
            created_by TEXT,
            created_at REAL NOT NULL,
            UNIQUE (project_id, name)
        );
        CREATE TABLE automations (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            trigger_spec TEXT NOT NULL,
            actions TEXT NOT NULL,
            cooldown_seconds REAL NOT NULL DEFAULT 0,
            paused INTEGER NOT NULL DEFAULT 0,
            armed_since REAL NOT NULL,
            last_fired_at REAL,
            memory TEXT,
            created_by TEXT,
            created_at REAL NOT NULL,
            UNIQUE (project_id, name)
        );
        CREATE TABLE automation_firings (
            id INTEGER PRIMARY KEY,
            automation_id INTEGER NOT NULL REFERENCES automations(id) ON DELETE CASCADE,
            event_key TEXT NOT NULL,
            event TEXT NOT NULL,
            fired_at REAL NOT NULL,
            suppressed TEXT,
            UNIQUE (automation_id, event_key)
        );
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            firing_id INTEGER NOT NULL REFERENCES automation_firings(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            action TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL,
            claimed_by TEXT,
            last_error TEXT,
            finished_at REAL,
            outcome TEXT,
            UNIQUE (firing_id, position)
        );
        CREATE INDEX deliveries_due ON deliveries(status, next_attempt_at);
        ALTER TABLE workers ADD COLUMN gone_at REAL;
        CREATE TABLE automation_cursor (
            name TEXT PRIMARY KEY,
            position INTEGER NOT NULL
        );
        CREATE TABLE webhooks (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            name TEXT NOT NULL UNIQUE,
            deployment TEXT NOT NULL,
            token TEXT NOT NULL,
            mapping TEXT NOT NULL,
            created_by TEXT,
            created_at REAL NOT NULL
        );
        """,
    ]
}
