//! What a form or filter page shows besides its fields: the values typed, the message beside
//! each field, a message about the whole form and what must be confirmed first.

use crate::domain::Invalid;
use std::collections::BTreeMap;

/// Validation messages by field name, in the order they were found.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors {
    errors: Vec<(String, Invalid)>,
}

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// A list's refused filters, each under its parameter's name.
    pub fn from_refusals(refusals: crate::models::query::Refusals) -> Self {
        let mut errors = Self::new();
        for (field, invalid) in refusals {
            errors.add(field, invalid);
        }
        errors
    }

    pub fn add(&mut self, field: &str, invalid: Invalid) {
        if self.get(field).is_none() {
            self.errors.push((field.to_string(), invalid));
        }
    }

    /// Keeps the value when valid; records the message and gives None otherwise.
    pub fn check<T>(&mut self, field: &str, result: Result<T, Invalid>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(invalid) => {
                self.add(field, invalid);
                None
            }
        }
    }

    pub fn get(&self, field: &str) -> Option<&Invalid> {
        self.errors.iter().find(|(f, _)| f == field).map(|(_, e)| e)
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }
}

/// What a form page shows: the values typed and the messages beside them.
#[derive(Debug, Default)]
pub struct FormState {
    pub values: BTreeMap<String, String>,
    pub multi: BTreeMap<String, Vec<String>>,
    pub errors: FieldErrors,
    /// A message about the whole form rather than one field.
    pub form_error: Option<Invalid>,
    /// What the person must confirm before the same post goes through.
    pub questions: Vec<crate::domain::Question>,
    /// The page of what this form's key already recorded, when it was posted again with other
    /// content: the form comes back with a fresh key.
    pub already_recorded: Option<String>,
}

impl FormState {
    pub fn from_values(values: BTreeMap<String, String>) -> Self {
        FormState { values, ..Default::default() }
    }

    pub fn value(&self, field: &str) -> &str {
        self.values.get(field).map(String::as_str).unwrap_or("")
    }

    pub fn set(&mut self, field: &str, value: impl Into<String>) {
        self.values.insert(field.to_string(), value.into());
    }
}

/// A checkbox: present and "on"/"true"/"1" is ticked.
pub fn checkbox(raw: &str) -> bool {
    matches!(raw, "on" | "true" | "1" | "yes")
}

/// The hidden field that carries a stock form's one-time submission key.
pub const SUBMISSION_KEY: &str = "submission_key";

/// A fresh key for a form being shown.
pub fn new_submission_key() -> String {
    crate::tokens::random_token()
}
