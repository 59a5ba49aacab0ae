//! Enums stored as their text (`'draft'`, `'admin'`, `'receipt'`) and read back as the enum on
//! both backends, so the code compares variants, never strings.

/// Gives an enum with `ALL` and `as_str` a `from_text` and diesel's `ToSql`/`FromSql` for `Text`
/// on every backend.
/// The enum also derives `AsExpression` and `FromSqlRow` with `sql_type = Text`. A stored value
/// outside the enum is a database error, never guessed at.
macro_rules! stored_as_text {
    ($name:ident) => {
        impl $name {
            /// The variant whose stored text this is exactly, if any.
            pub fn from_text(raw: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|v| v.as_str() == raw)
            }
        }

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, DB>) -> diesel::serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let raw = String::from_sql(bytes)?;
                Self::from_text(&raw).ok_or_else(|| format!("unknown {} {raw:?}", stringify!($name)).into())
            }
        }
    };
}

pub(crate) use stored_as_text;
