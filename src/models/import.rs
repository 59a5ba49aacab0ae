//! Uploaded import files: waiting for confirmation, committed, or discarded. Never deleted.

use crate::db::schema::{imports, users};
use crate::db::DbConn;
use crate::domain::LocationId;
use crate::domain::UserId;
use crate::models::now;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = imports)]
pub struct ImportRecord {
    pub id: i32,
    pub kind: String,
    pub file_name: String,
    pub content_hash: String,
    pub origin_id: Option<LocationId>,
    pub status: String,
    pub rows: i32,
    /// The preview (`exchange::import::Report`) as JSON.
    pub report: String,
    pub uploaded_by: Option<UserId>,
    pub uploaded_at: NaiveDateTime,
    pub committed_by: Option<UserId>,
    pub committed_at: Option<NaiveDateTime>,
    /// How long the commit held the write lock.
    pub lock_ms: Option<i32>,
    /// The language quantities are read in: `en` or `es`.
    pub numbers: String,
}

/// A new upload.
pub struct NewImport<'a> {
    pub kind: &'a str,
    pub file_name: &'a str,
    pub content_hash: &'a str,
    pub content: &'a [u8],
    pub origin_id: Option<LocationId>,
    pub rows: i32,
    pub report: &'a str,
    pub uploaded_by: Option<UserId>,
    pub numbers: crate::domain::Lang,
}

impl ImportRecord {
    pub fn insert(conn: &mut DbConn, new: &NewImport) -> QueryResult<i32> {
        diesel::insert_into(imports::table)
            .values((
                imports::kind.eq(new.kind),
                imports::file_name.eq(new.file_name),
                imports::content_hash.eq(new.content_hash),
                imports::content.eq(new.content),
                imports::origin_id.eq(new.origin_id),
                imports::status.eq("pending"),
                imports::rows.eq(new.rows),
                imports::report.eq(new.report),
                imports::uploaded_by.eq(new.uploaded_by),
                imports::uploaded_at.eq(now()),
                imports::numbers.eq(new.numbers.code()),
            ))
            .returning(imports::id)
            .get_result(conn)
    }

    pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<ImportRecord>> {
        imports::table.find(id).select(ImportRecord::as_select()).first(conn).optional()
    }

    pub fn content(conn: &mut DbConn, id: i32) -> QueryResult<Vec<u8>> {
        imports::table.find(id).select(imports::content).first(conn)
    }

    /// The committed import of this kind with this content, if any.
    pub fn committed_with(conn: &mut DbConn, kind: &str, hash: &str) -> QueryResult<Option<ImportRecord>> {
        imports::table
            .filter(imports::committed_hash.eq(format!("{kind}:{hash}")))
            .select(ImportRecord::as_select())
            .first(conn)
            .optional()
    }

    /// Marks a pending import committed; 0 when it was not pending any more. The UNIQUE
    /// committed_hash refuses a second commit of the same file, even from another instance.
    pub fn mark_committed(conn: &mut DbConn, record: &ImportRecord, user_id: Option<UserId>) -> QueryResult<usize> {
        diesel::update(imports::table.find(record.id).filter(imports::status.eq("pending")))
            .set((
                imports::status.eq("committed"),
                imports::committed_hash.eq(format!("{}:{}", record.kind, record.content_hash)),
                imports::committed_by.eq(user_id),
                imports::committed_at.eq(now()),
            ))
            .execute(conn)
    }

    pub fn set_lock_ms(conn: &mut DbConn, id: i32, ms: i32) -> QueryResult<usize> {
        diesel::update(imports::table.find(id)).set(imports::lock_ms.eq(ms)).execute(conn)
    }

    pub fn discard(conn: &mut DbConn, id: i32) -> QueryResult<usize> {
        diesel::update(imports::table.find(id).filter(imports::status.eq("pending")))
            .set(imports::status.eq("discarded"))
            .execute(conn)
    }

    /// The latest imports with the uploader's name, newest first: one user's own, or everyone's.
    pub fn recent(
        conn: &mut DbConn,
        uploaded_by: Option<UserId>,
        limit: i64,
    ) -> QueryResult<Vec<(ImportRecord, Option<String>)>> {
        let mut query = imports::table
            .left_join(users::table.on(users::id.nullable().eq(imports::uploaded_by)))
            .order(imports::id.desc())
            .limit(limit)
            .select((ImportRecord::as_select(), users::username.nullable()))
            .into_boxed();
        if let Some(user_id) = uploaded_by {
            query = query.filter(imports::uploaded_by.eq(user_id));
        }
        query.load(conn)
    }
}
