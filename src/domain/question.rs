//! Questions an operation asks before it records something unusual, instead of recording it
//! silently or refusing it outright: a quantity beyond the material's print run, or what looks
//! like the same record again. The same post with the question's code among its answers
//! (`confirm=over_limit`, `confirm=duplicate`) goes through.

/// One question, with what the person needs to decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Question {
    /// More of a material than one record should hold: its print run, or the limit an
    /// administrator set.
    OverLimit {
        material: super::Names,
        quantity: i32,
        limit: i32,
        /// The limit is the whole print run (no limit was set).
        print_run: bool,
    },
    /// The same person recorded the same content a few minutes ago.
    LikelyDuplicate { earlier: Recorded, minutes_ago: i64 },
    /// A date before the material's campaign starts: a typo more often than not.
    BeforeCampaign { date: chrono::NaiveDate, starts_on: chrono::NaiveDate, campaign: super::Names },
}

/// A record, as a question names it: "a receipt of 260 Fliers at Depósito Regional Lara,
/// reference BACK-TEST (R-35)".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// `receipt`, `shipment`, `adjustment` or `airing`.
    pub kind: &'static str,
    /// "R-35", "SH-001060".
    pub label: String,
    pub path: String,
    pub units: i64,
    pub material: super::Names,
    pub place: String,
    pub reference: String,
}

impl Question {
    /// The answer that lets the same post through.
    pub fn code(&self) -> &'static str {
        match self {
            Question::OverLimit { .. } => "over_limit",
            Question::LikelyDuplicate { .. } => "duplicate",
            Question::BeforeCampaign { .. } => "early_date",
        }
    }
}

/// How long the same content by the same person counts as a likely duplicate.
pub const DUPLICATE_WINDOW_MINUTES: i64 = 10;

/// The questions a post has answered yes to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Answers {
    pub over_limit: bool,
    pub duplicate: bool,
    pub early_date: bool,
}

impl Answers {
    /// From the codes posted in `confirm`; unknown codes mean nothing.
    pub fn from_codes<'a>(codes: impl IntoIterator<Item = &'a str>) -> Answers {
        let mut answers = Answers::default();
        for code in codes {
            match code.trim() {
                "over_limit" => answers.over_limit = true,
                "duplicate" => answers.duplicate = true,
                "early_date" => answers.early_date = true,
                _ => {}
            }
        }
        answers
    }

    /// Every question answered: for the command line and imports run by an administrator.
    pub fn all() -> Answers {
        Answers { over_limit: true, duplicate: true, early_date: true }
    }

    pub fn answered(&self, question: &Question) -> bool {
        match question {
            Question::OverLimit { .. } => self.over_limit,
            Question::LikelyDuplicate { .. } => self.duplicate,
            Question::BeforeCampaign { .. } => self.early_date,
        }
    }

    /// The questions still open: an error for the caller when there are any.
    pub fn still_open(&self, questions: Vec<Question>) -> Result<(), Vec<Question>> {
        let open: Vec<Question> = questions.into_iter().filter(|q| !self.answered(q)).collect();
        if open.is_empty() {
            Ok(())
        } else {
            Err(open)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_let_only_their_questions_through() {
        let posters = crate::domain::Names { en: "Posters".into(), es: "Afiches".into() };
        let over = Question::OverLimit { material: posters.clone(), quantity: 150_000, limit: 60_000, print_run: true };
        let earlier = Recorded {
            kind: "receipt",
            label: "R-35".into(),
            path: "/receipts/35".into(),
            units: 260,
            material: posters,
            place: "Depósito Regional Lara".into(),
            reference: "BACK-TEST".into(),
        };
        let twice = Question::LikelyDuplicate { earlier, minutes_ago: 2 };
        let answers = Answers::from_codes(["over_limit", "nonsense"]);
        assert!(answers.answered(&over));
        assert!(!answers.answered(&twice));
        assert_eq!(answers.still_open(vec![over.clone(), twice.clone()]), Err(vec![twice.clone()]));
        assert_eq!(Answers::all().still_open(vec![over, twice]), Ok(()));
    }
}
