//! What a page knows about the request it answers: the language, the CSRF token for its forms,
//! who reads it, the flash message and where it is. Handlers build it; views read nothing else.

use crate::domain::{Lang, Permission, Role};

/// A flash message carried across a redirect: a translation key and an optional argument.
#[derive(Debug, Clone)]
pub struct Flash {
    pub key: String,
    pub arg: Option<String>,
}

/// The signed-in reader, as far as a page shows or depends on them.
#[derive(Debug, Clone)]
pub struct Reader {
    pub display_name: String,
    pub role: Role,
    /// Limited to some regions (their lists say so).
    pub region_limited: bool,
}

/// The request, as a page sees it.
#[derive(Debug, Clone)]
pub struct PageContext {
    pub lang: Lang,
    /// The browser's CSRF token, for every form the page shows.
    pub csrf: String,
    pub reader: Option<Reader>,
    pub flash: Option<Flash>,
    /// Path and query of this request, for pager and `next=` links.
    pub path: String,
    pub query: String,
}

impl PageContext {
    /// Translates a key in the page's language.
    pub fn t(&self, key: &str) -> String {
        crate::i18n::tr(self.lang, key)
    }

    /// The path with its query string, as a `next=` target.
    pub fn here(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        }
    }

    /// The reader may do this: the page offers the buttons for it.
    pub fn can(&self, permission: Permission) -> bool {
        self.reader.as_ref().is_some_and(|r| r.role.can(permission))
    }

    pub fn signed_in(&self) -> bool {
        self.reader.is_some()
    }
}
