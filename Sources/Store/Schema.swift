import GRDB
import Intake

/// The database schema, as versioned migrations run at open. Never edit a shipped migration: add one.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "person") { t in
                t.primaryKey("id", .text)
                t.column("language", .text)
                t.column("unit", .text)
                t.column("greeted_at", .datetime)
                t.column("created_at", .datetime).notNull()
            }
            // The bot's own room → person map for direct chats (Matrix keeps none on the server side).
            try db.create(table: "direct_room") { t in
                t.primaryKey("room_id", .text)
                t.column("user_id", .text).notNull().indexed()
                t.column("created_at", .datetime).notNull()
            }
            try db.create(table: "idea") { t in
                t.primaryKey("number", .integer)
                t.column("author", .text).notNull().indexed()
                t.column("title", .text).notNull()
                t.column("problem", .text).notNull()
                t.column("benefits", .text)
                t.column("solution", .text)
                t.column("challenge", .text)
                t.column("unit", .text)
                t.column("stage", .text).notNull().indexed()
                t.column("guide", .text)
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
                t.column("submitted_at", .datetime)
            }
            // Idea numbers are never reused, even when the newest draft is cancelled.
            try db.create(table: "counter") { t in
                t.primaryKey("name", .text)
                t.column("value", .integer).notNull()
            }
            // Append-only history: updates and deletes are refused by triggers.
            try db.create(table: "idea_event") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("idea_number", .integer).notNull().indexed()
                t.column("at", .datetime).notNull()
                t.column("actor", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("from_stage", .text)
                t.column("to_stage", .text)
                t.column("comment", .text)
            }
            try db.execute(sql: """
                CREATE TRIGGER idea_event_append_only_update BEFORE UPDATE ON idea_event
                BEGIN SELECT RAISE(ABORT, 'idea_event is append-only'); END;
                CREATE TRIGGER idea_event_append_only_delete BEFORE DELETE ON idea_event
                BEGIN SELECT RAISE(ABORT, 'idea_event is append-only'); END;
                """)
            try db.create(table: "conversation_state") { t in
                t.primaryKey("user_id", .text)
                t.column("state", .blob).notNull()
                t.column("updated_at", .datetime).notNull()
            }
            try db.create(table: "processed_event") { t in
                t.primaryKey("event_id", .text)
                t.column("processed_at", .datetime).notNull().indexed()
            }
            // Small key/value state: sync cursors, adapter credentials.
            try db.create(table: "sync_state") { t in
                t.primaryKey("key", .text)
                t.column("value", .text).notNull()
            }
            try db.create(table: "outbox") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("txn_id", .text).notNull().unique()
                // message | join | leave: every effect on the server goes through the outbox.
                t.column("kind", .text).notNull().defaults(to: "message")
                t.column("room_id", .text)
                t.column("recipient", .text)
                t.column("body", .blob).notNull()
                t.column("style", .text).notNull()
                t.column("in_reply_to", .text)
                t.column("created_at", .datetime).notNull()
                t.column("not_before", .datetime)
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("last_error", .text)
                t.column("sent_at", .datetime)
                t.column("remote_id", .text)
                t.column("failed_at", .datetime)
            }
            try db.create(index: "outbox_unsent", on: "outbox", columns: ["sent_at", "failed_at", "id"])
        }
        migrator.registerMigration("v2") { db in
            // Related ideas (`koppla N M`), each pair once with the smaller number first.
            try db.create(table: "idea_link") { t in
                t.column("a", .integer).notNull()
                t.column("b", .integer).notNull().indexed()
                t.column("actor", .text).notNull()
                t.column("created_at", .datetime).notNull()
                t.primaryKey(["a", "b"])
                t.check(sql: "a < b")
            }
            // Full-text index of submitted ideas for "similar ideas": å/ä/ö kept distinct, case-folded.
            // rowid = idea number; drafts are never in it. Kept in sync by triggers.
            try db.execute(sql: """
                CREATE VIRTUAL TABLE idea_fts USING fts5(
                    title, problem, solution, tokenize = "unicode61 remove_diacritics 0");
                INSERT INTO idea_fts (rowid, title, problem, solution)
                    SELECT number, title, problem, coalesce(solution, '') FROM idea WHERE stage != 'utkast';
                CREATE TRIGGER idea_fts_insert AFTER INSERT ON idea WHEN new.stage != 'utkast' BEGIN
                    INSERT INTO idea_fts (rowid, title, problem, solution)
                        VALUES (new.number, new.title, new.problem, coalesce(new.solution, ''));
                END;
                CREATE TRIGGER idea_fts_update AFTER UPDATE ON idea BEGIN
                    DELETE FROM idea_fts WHERE rowid = old.number;
                    INSERT INTO idea_fts (rowid, title, problem, solution)
                        SELECT new.number, new.title, new.problem, coalesce(new.solution, '')
                        WHERE new.stage != 'utkast';
                END;
                CREATE TRIGGER idea_fts_delete AFTER DELETE ON idea BEGIN
                    DELETE FROM idea_fts WHERE rowid = old.number;
                END;
                """)
        }
        migrator.registerMigration("v3") { db in
            // Who read or changed which idea (SkavBot.docc/Privacy.md). Append-only like the history.
            try db.create(table: "audit_log") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("at", .datetime).notNull()
                t.column("actor", .text).notNull().indexed()
                t.column("idea_number", .integer).indexed()
                t.column("action", .text).notNull()
                t.column("detail", .text)
            }
            // `glöm mig` replaces the person's id by a pseudonym in the history and the audit log: the only
            // update either table allows is of `actor`, to a value starting with 'anonym-', every other
            // column unchanged. Deletes stay refused.
            try db.execute(sql: """
                DROP TRIGGER idea_event_append_only_update;
                CREATE TRIGGER idea_event_append_only_update BEFORE UPDATE ON idea_event
                WHEN NOT (substr(new.actor, 1, 7) = 'anonym-' AND new.id IS old.id
                    AND new.idea_number IS old.idea_number AND new.at IS old.at AND new.kind IS old.kind
                    AND new.from_stage IS old.from_stage AND new.to_stage IS old.to_stage
                    AND new.comment IS old.comment)
                BEGIN SELECT RAISE(ABORT, 'idea_event is append-only'); END;
                CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
                WHEN NOT (substr(new.actor, 1, 7) = 'anonym-' AND new.id IS old.id AND new.at IS old.at
                    AND new.idea_number IS old.idea_number AND new.action IS old.action AND new.detail IS old.detail)
                BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
                CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
                BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
                """)
        }
        migrator.registerMigration("v4") { db in
            // Nudges (SkavBot.docc/Nudges.md): planned reminders, each sent at most once (the dedupe key is unique).
            try db.create(table: "nudge") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("kind", .text).notNull()
                t.column("recipient", .text).notNull().indexed()
                t.column("idea_number", .integer)
                t.column("due_at", .datetime).notNull()
                t.column("dedupe_key", .text).notNull().unique()
                t.column("created_at", .datetime).notNull()
                t.column("done_at", .datetime)
                // The local calendar day it was done, for the per-day cap of voluntary nudges.
                t.column("done_day", .text)
                // sent | skipped_opt_out | skipped_paused | skipped_cap | cancelled
                t.column("outcome", .text)
            }
            try db.create(index: "nudge_pending", on: "nudge", columns: ["done_at", "due_at"])
            // Personal controls: `påminn inte`/`påminn igen`, `pausa påminnelser N dagar`, `veckofråga på|av`.
            try db.alter(table: "person") { t in
                t.add(column: "reminders_off", .boolean).notNull().defaults(to: false)
                t.add(column: "paused_until", .datetime)
                t.add(column: "weekly_checkin", .boolean).notNull().defaults(to: false)
            }
        }
        migrator.registerMigration("v5") { db in
            // A file sent instead of text (a person's data export), as JSON of `Chat.FileAttachment`.
            try db.alter(table: "outbox") { t in
                t.add(column: "attachment", .blob)
            }
        }
        migrator.registerMigration("v6") { db in
            // Idea challenges (SkavBot.docc/Intake.md, *idéutmaningar*): opened by a coordinator with a title, a question
            // and a deadline (the last day, local time); closed with a summary to the coordinators.
            try db.create(table: "campaign") { t in
                t.primaryKey("number", .integer)
                t.column("title", .text).notNull()
                t.column("question", .text).notNull()
                t.column("deadline", .text).notNull()
                t.column("opened_by", .text).notNull()
                t.column("opened_at", .datetime).notNull()
                t.column("closed_at", .datetime)
                t.column("closed_by", .text)
            }
            // The messages that announced a challenge: a reply to one of them sends an idea to the challenge.
            try db.create(table: "campaign_post") { t in
                t.primaryKey("txn_id", .text)
                t.column("campaign_number", .integer).notNull().indexed()
            }
            try db.create(index: "outbox_remote_id", on: "outbox", columns: ["remote_id"])
            try db.alter(table: "idea") { t in
                t.add(column: "campaign", .integer)
            }
            try db.create(index: "idea_campaign", on: "idea", columns: ["campaign"])
            // `utmaningar på|av`: announcements and deadline reminders by direct message.
            try db.alter(table: "person") { t in
                t.add(column: "challenge_updates", .boolean).notNull().defaults(to: false)
            }
            // Deadline reminders name their challenge.
            try db.alter(table: "nudge") { t in
                t.add(column: "campaign_number", .integer)
            }
            // Good examples (`lyft N`): the consent asked of the idea-giver, and the answer.
            try db.create(table: "lift") { t in
                t.primaryKey("idea_number", .integer)
                t.column("asked_by", .text).notNull()
                t.column("asked_at", .datetime).notNull()
                // yes | anonymous | no
                t.column("answer", .text)
                t.column("answered_at", .datetime)
            }
            // Scheduled digests, each period once (the key names the period and the audience).
            try db.create(table: "digest_run") { t in
                t.primaryKey("key", .text)
                t.column("since", .datetime).notNull()
                t.column("until", .datetime).notNull()
                t.column("parts", .integer).notNull()
                t.column("sent_at", .datetime).notNull()
            }
        }
        migrator.registerMigration("v7") { db in
            // The poison-message quarantine: input that was in flight when the process died of a fatal
            // signal (`suspect`, with the number of deaths), set aside after the second death (`held`), or
            // put back by an operator (`retry`). Ids only: never the text.
            try db.create(table: "quarantine") { t in
                t.primaryKey("key", .text)
                // event | sync
                t.column("kind", .text).notNull()
                t.column("room_id", .text)
                t.column("deaths", .integer).notNull()
                // suspect | held | retry
                t.column("status", .text).notNull().indexed()
                t.column("first_death_at", .datetime).notNull()
                t.column("last_death_at", .datetime).notNull()
                t.column("held_at", .datetime)
            }
        }
        migrator.registerMigration("v8", migrate: RoomsSchema.v8)
        migrator.registerMigration("v9") { db in
            // A sent outbox entry keeps only what exactly-once needs (transaction id, room, remote id, sent
            // time): the text, file and recipient of entries sent before this version go now.
            try db.execute(
                sql: """
                    UPDATE outbox SET body = ?, attachment = NULL, recipient = NULL
                    WHERE sent_at IS NOT NULL
                    """,
                arguments: [OutboxEntry.emptyBodyJSON])
        }
        migrator.registerMigration("v10") { db in
            // The full-text index's vocabulary (documents per word): similar-idea lookups ask only for the
            // distinctive words of a new idea, so their cost does not grow with the ideas that share
            // ordinary words.
            try db.execute(sql: "CREATE VIRTUAL TABLE idea_fts_vocab USING fts5vocab(idea_fts, row)")
            // The similar ideas found when an idea was submitted ("12:0.412 98:0.330", best first): digests
            // read their clusters from here instead of searching once per new idea.
            try db.create(table: "idea_similarity") { t in
                t.primaryKey("idea_number", .integer)
                t.column("matches", .text).notNull()
                t.column("computed_at", .datetime).notNull()
            }
            // The digest reads a period's submissions and history lines by time.
            try db.create(index: "idea_submitted_at", on: "idea", columns: ["submitted_at"])
            try db.create(index: "idea_event_at", on: "idea_event", columns: ["at"])
            // `sammanfattning`: the request, written with the conversation's batch; the digest is built later
            // from a read snapshot, outside the bot's write transaction, and sent once.
            try db.create(table: "digest_request") { t in
                t.primaryKey("key", .text)
                t.column("requested_by", .text).notNull()
                // Where it goes: the coordinators' room, else the requester's direct chat (room or recipient).
                t.column("room_id", .text)
                t.column("recipient", .text)
                t.column("requested_at", .datetime).notNull()
                t.column("done_at", .datetime).indexed()
            }
        }
        migrator.registerMigration("v12") { db in
            // Outbox priorities: replies (0) before notices to people (1) before bulk (2); entries of older
            // versions count as notices.
            try db.alter(table: "outbox") { t in
                t.add(column: "priority", .integer).notNull().defaults(to: 1)
            }
        }
        migrator.registerMigration("v13") { db in
            // How many submitted ideas hold each stem: the similar-idea search picks a new idea's distinctive
            // stems from here (the index's vocabulary table counts by reading every posting). Filled from the
            // submitted ideas once; kept when ideas are submitted.
            try db.create(table: "term_stats", options: [.withoutRowID]) { t in
                t.primaryKey("stem", .text)
                t.column("ideas", .integer).notNull()
            }
            var counts: [String: Int] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT problem, solution FROM idea WHERE stage != 'utkast'")
            while let row = try rows.next() {
                let problem: String = row["problem"]
                let solution: String? = row["solution"]
                for stem in Similarity.terms(Similarity.text(problem: problem, solution: solution)) { counts[stem, default: 0] += 1 }
            }
            for (stem, ideas) in counts {
                try db.execute(sql: "INSERT INTO term_stats (stem, ideas) VALUES (?, ?)", arguments: [stem, ideas])
            }
        }
        migrator.registerMigration("v14") { db in
            // The similar-idea search's index holds each submitted idea's stems (kept at submit) instead of its
            // raw words. Asked for a stem's prefix, the raw-word index also matched words whose stems do not
            // begin with it ("mås"* matched the stop word "måste", "vänta"* every "väntar" whose stem is
            // "vänt"): tens of thousands of postings where `term_stats` promised a few hundred, most of the
            // slowest lookups' time. Candidates compare the kept stems too, instead of splitting their texts.
            // Which ideas hold a word is all it needs: no positions (`detail=none`), no column sizes. `saveIdea`
            // indexes a submitted idea the index does not hold; the triggers drop drafts and changed texts.
            try db.execute(
                sql: """
                    CREATE VIRTUAL TABLE idea_stems USING fts5(
                        stems, tokenize = "unicode61 remove_diacritics 0", detail = none, columnsize = 0);
                    CREATE TRIGGER idea_stems_text_changed AFTER UPDATE OF problem, solution ON idea
                    WHEN old.problem IS NOT new.problem OR old.solution IS NOT new.solution BEGIN
                        DELETE FROM idea_stems WHERE rowid = old.number;
                    END;
                    CREATE TRIGGER idea_stems_delete AFTER DELETE ON idea BEGIN
                        DELETE FROM idea_stems WHERE rowid = old.number;
                    END;
                    CREATE TRIGGER idea_stems_draft AFTER UPDATE OF stage ON idea WHEN new.stage = 'utkast' BEGIN
                        DELETE FROM idea_stems WHERE rowid = old.number;
                    END;
                    DROP TABLE idea_fts_vocab;
                    DROP TRIGGER idea_fts_insert;
                    DROP TRIGGER idea_fts_update;
                    DROP TRIGGER idea_fts_delete;
                    DROP TABLE idea_fts;
                    """)
            let rows = try Row.fetchCursor(db, sql: "SELECT number, problem, solution FROM idea WHERE stage != 'utkast'")
            let insert = try db.makeStatement(sql: "INSERT INTO idea_stems (rowid, stems) VALUES (?, ?)")
            while let row = try rows.next() {
                let number: Int = row[0]
                let problem: String = row[1]
                let solution: String? = row[2]
                let stems = Similarity.terms(Similarity.text(problem: problem, solution: solution))
                try insert.execute(arguments: [number, IntakeTransaction.joinStems(stems)])
            }
        }
        migrator.registerMigration("v15") { db in
            // Fewer pages written for each message. A queued message has no remote id until it is sent: the
            // index of remote ids (asked only for a given id) leaves those out, instead of taking an entry at
            // the insert and moving it at the send. The processed events are kept by their id alone (no
            // rowid): one B-tree and the index of their times, instead of a table, its key's index and that.
            try db.execute(
                sql: """
                    DROP INDEX outbox_remote_id;
                    CREATE INDEX outbox_remote_id ON outbox(remote_id) WHERE remote_id IS NOT NULL;
                    CREATE TABLE processed_event_new (
                        event_id TEXT PRIMARY KEY NOT NULL, processed_at DATETIME NOT NULL) WITHOUT ROWID;
                    INSERT INTO processed_event_new (event_id, processed_at) SELECT event_id, processed_at FROM processed_event;
                    DROP TABLE processed_event;
                    ALTER TABLE processed_event_new RENAME TO processed_event;
                    CREATE INDEX processed_event_on_processed_at ON processed_event(processed_at);
                    """)
        }
        migrator.registerMigration("v16") { db in
            // The outbox's lanes kept by the store: one row for each room (or recipient whose room is not
            // known yet) with something unsent, holding its first entry, its most urgent priority and that
            // first entry's retry time. The sender reads the lanes it starts from their indexes, a few
            // dozen rows however many entries wait; grouping every unsent entry at each read grew with an
            // announcement (28-45 ms a read with 30,000 waiting). Triggers keep the table in step with
            // every change of the outbox, whoever makes it.
            try db.execute(sql: Self.outboxLanesSQL)
            try db.execute(
                sql: """
                    INSERT INTO outbox_lane (lane, head, priority)
                    SELECT \(Self.laneKey("outbox")), MIN(id), MIN(\(Self.lanePriorityV16("priority"))) FROM outbox
                    WHERE sent_at IS NULL AND failed_at IS NULL GROUP BY \(Self.laneKey("outbox"));
                    UPDATE outbox_lane SET not_before = (SELECT \(Self.clampedTime("outbox.not_before")) FROM outbox WHERE outbox.id = outbox_lane.head);
                    """)
        }
        migrator.registerMigration("v17") { db in
            // Each lane counts its unsent entries of each priority, so an entry leaving a lane sets the lane's
            // priority from the counts instead of reading every entry of the lane: for one room with
            // thousands waiting (a rate-limited room, say), that read made each send cost more the more were
            // queued behind it. The lane's first entry is still found through `outbox_by_lane`.
            try db.execute(
                sql: """
                    DROP TRIGGER outbox_lane_insert;
                    DROP TRIGGER outbox_lane_update;
                    DROP TRIGGER outbox_lane_move;
                    DROP TRIGGER outbox_lane_delete;
                    ALTER TABLE outbox_lane ADD COLUMN n0 INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE outbox_lane ADD COLUMN n1 INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE outbox_lane ADD COLUMN n2 INTEGER NOT NULL DEFAULT 0;
                    UPDATE outbox_lane SET (n0, n1, n2) = (
                        SELECT count(*) FILTER (WHERE \(Self.lanePriority("o.priority")) = 0),
                               count(*) FILTER (WHERE \(Self.lanePriority("o.priority")) = 1),
                               count(*) FILTER (WHERE \(Self.lanePriority("o.priority")) = 2)
                        FROM outbox o
                        WHERE \(Self.laneKey("o")) = outbox_lane.lane AND o.sent_at IS NULL AND o.failed_at IS NULL);
                    """)
            try db.execute(sql: Self.outboxLaneCountTriggersSQL)
        }
        migrator.registerMigration("v18") { db in
            // `outbox_unsent` indexed every entry by (sent_at, failed_at, id): queuing an entry wrote a page of
            // it, and sending moved the entry from one end of it to the other (another page). Entries still to
            // send are found through `outbox_by_lane` (partial: unsent only); this index now holds only the
            // entries that are done, sent or given up, for retention and the counts of sent entries.
            try db.execute(
                sql: """
                    DROP INDEX outbox_unsent;
                    CREATE INDEX outbox_done ON outbox(sent_at, failed_at, id)
                        WHERE sent_at IS NOT NULL OR failed_at IS NOT NULL;
                    """)
        }
        migrator.registerMigration("v19") { db in
            // Only the sent entries that are not replies in the index of remote ids: it is asked only which
            // challenge an announcement or a deadline reminder (bulk, by its server id) was for, and a
            // reply to what a person wrote never is one. A server id is random, so each reply sent wrote a
            // page of the index of its own: a sixth of the pages a burst of replies wrote to the log.
            try db.execute(
                sql: """
                    DROP INDEX outbox_remote_id;
                    CREATE INDEX outbox_remote_id ON outbox(remote_id) WHERE remote_id IS NOT NULL AND priority <> 0;
                    """)
        }
        return migrator
    }

    /// A lane's key: the room, or `@` and the recipient while the room is not known (as the sender's).
    static func laneKey(_ row: String? = nil) -> String {
        let prefix = row.map { "\($0)." } ?? ""
        return "coalesce(\(prefix)room_id, '@' || coalesce(\(prefix)recipient, ''))"
    }

    /// The mapping as v16 wrote it (a shipped migration stays as it was; v17 replaced its triggers).
    static func lanePriorityV16(_ value: String) -> String {
        "CASE WHEN \(value) IN (0, 1, 2) THEN \(value) ELSE 1 END"
    }

    /// A priority as the lanes keep it: 0, 1 or 2; anything else (only a hand could store it) orders its
    /// lane as a notice would (reading the entry itself then fails as corrupt, and the sender gives it up).
    /// (A simple `CASE`: `IN (0, 1, 2)` inside an expression made SQLite build a temporary table at each
    /// evaluation, most of the cost of v16's triggers.)
    static func lanePriority(_ value: String) -> String {
        "CASE \(value) WHEN 0 THEN 0 WHEN 2 THEN 2 ELSE 1 END"
    }

    /// A stored retry time as a time the lanes can order by: an older build could store a server's absurd
    /// `Retry-After` as a year past 9999, or anything else that is no date; such a value counts as the end
    /// of year 9999 (the sender reschedules it when it reaches the lane).
    static func clampedTime(_ value: String) -> String {
        """
        CASE WHEN \(value) IS NULL THEN NULL
        WHEN typeof(\(value)) = 'text' AND length(\(value)) BETWEEN 10 AND 32
            AND \(value) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' AND julianday(\(value)) IS NOT NULL
            THEN \(value)
        ELSE '9999-12-31 23:59:59.000' END
        """
    }

    /// The triggers that keep the lanes from v17 on. An entry that becomes unsent counts in its lane (made
    /// when missing), which takes its priority and its first entry if they come first; one that stops being
    /// unsent (sent, given up, deleted, moved) no longer counts in its old lane: a lane left counting nothing
    /// is removed, else its priority comes from its counts and its first entry (and that entry's retry
    /// time) from `outbox_by_lane`. A few index seeks, however many entries the lane holds.
    static var outboxLaneCountTriggersSQL: String {
        let unsentNew = "new.sent_at IS NULL AND new.failed_at IS NULL"
        let unsentOld = "old.sent_at IS NULL AND old.failed_at IS NULL"
        let sameLane = "\(laneKey("new")) IS \(laneKey("old")) AND \(lanePriority("new.priority")) = \(lanePriority("old.priority"))"
        let changed = "OF sent_at, failed_at, room_id, recipient, priority, not_before, id"
        return """
            CREATE TRIGGER outbox_lane_insert AFTER INSERT ON outbox WHEN \(unsentNew) BEGIN
                \(joinLane("new"))
            END;
            -- Still unsent in the same lane at the same priority (a retry time, say): its first entry again.
            CREATE TRIGGER outbox_lane_stay AFTER UPDATE \(changed) ON outbox
            WHEN \(unsentOld) AND \(unsentNew) AND \(sameLane) BEGIN
                UPDATE outbox_lane SET \(firstEntryColumns(laneKey("new"))) WHERE lane = \(laneKey("new"));
            END;
            -- Sent, given up, or moved to another lane or priority: no longer counted in the old one.
            CREATE TRIGGER outbox_lane_leave AFTER UPDATE \(changed) ON outbox
            WHEN \(unsentOld) AND NOT (\(unsentNew) AND \(sameLane)) BEGIN
                \(leaveLane("old"))
            END;
            -- Unsent again (an operator's retry), or moved: counted in the new lane.
            CREATE TRIGGER outbox_lane_join AFTER UPDATE \(changed) ON outbox
            WHEN \(unsentNew) AND NOT (\(unsentOld) AND \(sameLane)) BEGIN
                \(joinLane("new"))
            END;
            CREATE TRIGGER outbox_lane_delete AFTER DELETE ON outbox WHEN \(unsentOld) BEGIN
                \(leaveLane("old"))
            END;
            """
    }

    /// The row `row` (`new`) counted in its lane, the lane made when missing; the lane's priority and first
    /// entry are this row's when they come first (an entry joining a lane never makes it less urgent or
    /// later), so no seek is needed.
    private static func joinLane(_ row: String) -> String {
        let priority = lanePriority("\(row).priority")
        return """
            INSERT INTO outbox_lane (lane, head, priority, not_before, n0, n1, n2)
            VALUES (\(laneKey(row)), \(row).id, \(priority), \(clampedTime("\(row).not_before")),
                \(priority) = 0, \(priority) = 1, \(priority) = 2)
            ON CONFLICT (lane) DO UPDATE SET
                n0 = n0 + excluded.n0, n1 = n1 + excluded.n1, n2 = n2 + excluded.n2,
                priority = min(priority, excluded.priority),
                not_before = CASE WHEN excluded.head < head THEN excluded.not_before ELSE not_before END,
                head = min(head, excluded.head);
            """
    }

    /// The row `row` (`old`) no longer counted in its lane: the lane removed when nothing in it waits any
    /// more (by the entries, not the counts, so a lane never outlives its entries nor goes before them), else
    /// its counts, its priority from them, and its first entry again (the SET's expressions all see the row
    /// as it was, hence the counts written out).
    private static func leaveLane(_ row: String) -> String {
        let key = laneKey(row), priority = lanePriority("\(row).priority")
        return """
            DELETE FROM outbox_lane WHERE lane = \(key) AND NOT EXISTS (
                SELECT 1 FROM outbox o WHERE \(laneKey("o")) = \(key) AND o.sent_at IS NULL AND o.failed_at IS NULL);
            UPDATE outbox_lane SET
                n0 = n0 - (\(priority) = 0), n1 = n1 - (\(priority) = 1), n2 = n2 - (\(priority) = 2),
                priority = CASE WHEN n0 - (\(priority) = 0) > 0 THEN 0 WHEN n1 - (\(priority) = 1) > 0 THEN 1 ELSE 2 END,
                \(firstEntryColumns(key))
            WHERE lane = \(key);
            """
    }

    /// One lane (the argument: its key) set again from scratch from its waiting entries, or removed when
    /// none waits: the repair for a lane found naming an entry that does not wait (only a hand could make
    /// one), counting the lane's entries once.
    static var rebuildLaneSQL: [String] {
        let waiting = "\(laneKey("o")) = ?1 AND o.sent_at IS NULL AND o.failed_at IS NULL"
        return [
            "DELETE FROM outbox_lane WHERE lane = ?1",
            """
            INSERT INTO outbox_lane (lane, head, priority, not_before, n0, n1, n2)
            SELECT ?1, h.id, CASE WHEN c.n0 > 0 THEN 0 WHEN c.n1 > 0 THEN 1 ELSE 2 END, \(clampedTime("h.not_before")),
                c.n0, c.n1, c.n2
            FROM (SELECT o.id, o.not_before FROM outbox o WHERE \(waiting) ORDER BY o.id LIMIT 1) AS h,
                (SELECT count(*) FILTER (WHERE \(lanePriority("o.priority")) = 0) AS n0,
                        count(*) FILTER (WHERE \(lanePriority("o.priority")) = 1) AS n1,
                        count(*) FILTER (WHERE \(lanePriority("o.priority")) = 2) AS n2
                 FROM outbox o WHERE \(waiting)) AS c
            """,
        ]
    }

    /// A lane's first unsent entry and that entry's retry time, each an index seek in `outbox_by_lane`.
    private static func firstEntryColumns(_ key: String) -> String {
        let first = "FROM outbox o WHERE \(laneKey("o")) = \(key) AND o.sent_at IS NULL AND o.failed_at IS NULL ORDER BY o.id LIMIT 1"
        return """
            head = coalesce((SELECT o.id \(first)), head),
                not_before = (SELECT \(clampedTime("o.not_before")) \(first))
            """
    }

    /// Sets a lane's row again from its unsent entries (none: no row), found through `outbox_by_lane`.
    private static func recomputeLane(_ key: String) -> String {
        """
        DELETE FROM outbox_lane WHERE lane = \(key);
        INSERT INTO outbox_lane (lane, head, priority, not_before)
        SELECT \(key), h.id,
            (SELECT MIN(\(lanePriorityV16("p.priority"))) FROM outbox p
             WHERE \(laneKey("p")) = \(key) AND p.sent_at IS NULL AND p.failed_at IS NULL),
            \(clampedTime("h.not_before"))
        FROM (SELECT o.id, o.not_before FROM outbox o
              WHERE \(laneKey("o")) = \(key) AND o.sent_at IS NULL AND o.failed_at IS NULL ORDER BY o.id LIMIT 1) AS h;
        """
    }

    /// The lanes' table, its indexes, the outbox's index by lane and the triggers that keep the lanes.
    static var outboxLanesSQL: String {
        let unsentNew = "new.sent_at IS NULL AND new.failed_at IS NULL"
        let unsentOld = "old.sent_at IS NULL AND old.failed_at IS NULL"
        return """
            CREATE TABLE outbox_lane (
                lane TEXT PRIMARY KEY NOT NULL,
                head INTEGER NOT NULL,
                priority INTEGER NOT NULL,
                not_before DATETIME
            ) WITHOUT ROWID;
            -- The lanes ready to go, most urgent and oldest first; and those with a retry time, by priority and time.
            CREATE INDEX outbox_lane_ready ON outbox_lane(priority, head) WHERE not_before IS NULL;
            CREATE INDEX outbox_lane_retry ON outbox_lane(priority, not_before) WHERE not_before IS NOT NULL;
            CREATE INDEX outbox_by_lane ON outbox(\(laneKey()), id) WHERE sent_at IS NULL AND failed_at IS NULL;
            CREATE TRIGGER outbox_lane_insert AFTER INSERT ON outbox WHEN \(unsentNew) BEGIN
                INSERT INTO outbox_lane (lane, head, priority, not_before)
                VALUES (\(laneKey("new")), new.id, \(lanePriorityV16("new.priority")), \(clampedTime("new.not_before")))
                ON CONFLICT (lane) DO UPDATE SET
                    priority = min(priority, excluded.priority),
                    not_before = CASE WHEN excluded.head < head THEN excluded.not_before ELSE not_before END,
                    head = min(head, excluded.head);
            END;
            -- An entry sent, given up, retried later, moved to another room or made unsent again: its lane
            -- again, and the lane it moved to.
            CREATE TRIGGER outbox_lane_update
            AFTER UPDATE OF sent_at, failed_at, room_id, recipient, priority, not_before, id ON outbox
            WHEN \(unsentOld) OR \(unsentNew) BEGIN
                \(recomputeLane(laneKey("old")))
            END;
            CREATE TRIGGER outbox_lane_move
            AFTER UPDATE OF sent_at, failed_at, room_id, recipient, priority, not_before, id ON outbox
            WHEN \(unsentNew) AND \(laneKey("new")) IS NOT \(laneKey("old")) BEGIN
                \(recomputeLane(laneKey("new")))
            END;
            CREATE TRIGGER outbox_lane_delete AFTER DELETE ON outbox WHEN \(unsentOld) BEGIN
                \(recomputeLane(laneKey("old")))
            END;
            """
    }
}
