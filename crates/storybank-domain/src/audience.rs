//! Who is looking at a story, and whether they may see it at all.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::consent::ConsentScope;
use crate::vocab::vocabulary;
use crate::{Status, Story};

vocabulary!(
    /// Who is asking: search, pages and exports all filter by it.
    Audience, "audience", {
        /// Anyone, not logged in.
        Public => "public",
        /// A service commissioner.
        Commissioner => "commissioner",
        /// A curator (or admin): the curation team.
        Curator => "curator",
    }
);

impl Audience {
    /// Whether this audience may see a story with this status and effective consent scope at all.
    /// Withdrawn stories are hidden from everyone; the curation team sees the rest; commissioners
    /// see published stories whose consent (in force today) covers commissioners; the public sees
    /// published stories with public consent.
    pub fn may_see_status_and_scope(self, status: Status, effective_scope: ConsentScope) -> bool {
        if status == Status::Withdrawn {
            return false;
        }
        match self {
            Audience::Curator => true,
            Audience::Commissioner => {
                status == Status::Published && effective_scope >= ConsentScope::Commissioners
            }
            Audience::Public => status == Status::Published && effective_scope == ConsentScope::Public,
        }
    }

    /// Whether this audience may see `story` on `today` (consent that has expired counts as
    /// internal, missing consent too).
    pub fn may_see(self, story: &Story, today: NaiveDate) -> bool {
        self.may_see_status_and_scope(story.status, story.effective_scope(today))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConsentScope::*;
    use Status::*;

    #[test]
    fn the_audience_matrix() {
        // (status, scope) -> (public, commissioner, curator)
        for (status, scope, expected) in [
            (Published, Public, [true, true, true]),
            (Published, Commissioners, [false, true, true]),
            (Published, Internal, [false, false, true]),
            (Reviewed, Public, [false, false, true]),
            (Submitted, Public, [false, false, true]),
            (Withdrawn, Public, [false, false, false]),
            (Withdrawn, Internal, [false, false, false]),
        ] {
            let got = [Audience::Public, Audience::Commissioner, Audience::Curator]
                .map(|audience| audience.may_see_status_and_scope(status, scope));
            assert_eq!(got, expected, "{status} / {scope}");
        }
    }
}
