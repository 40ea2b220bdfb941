//! The audit log's entries and the hash chain that makes tampering visible.
//!
//! Each entry's hash covers its own fields and the previous entry's hash, so
//! changing, removing or reordering any entry breaks every link after it.
//! [`verify`] walks a chain and names the first entry that does not fit.

use sha2::{Digest as _, Sha256};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Position in the chain, from 1 with no gaps.
    pub seq: i64,
    /// When (ms since the epoch).
    pub at_ms: i64,
    /// `user`, `app`, `system` or `anonymous`.
    pub actor_kind: String,
    /// User id, installation id, or the email tried for anonymous sign-ins.
    pub actor_id: String,
    /// The organisation concerned, if any.
    pub organisation_id: Option<String>,
    /// What happened, e.g. `membership.role_changed`.
    pub action: String,
    /// What it happened to, e.g. a user or invitation id.
    pub target: String,
    /// Where the request came from.
    pub client_addr: String,
    /// Further facts as a JSON object.
    pub detail: String,
    /// Hash of the previous entry.
    pub prev_hash: String,
    /// Hash of this entry.
    pub entry_hash: String,
}

impl AuditEntry {
    /// The hash this entry must carry: SHA-256 over every field but the hash
    /// itself, each prefixed by its length so that fields cannot run together.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        let seq = self.seq.to_string();
        let at = self.at_ms.to_string();
        let fields: [&str; 10] = [
            &seq,
            &at,
            &self.actor_kind,
            &self.actor_id,
            self.organisation_id.as_deref().unwrap_or(""),
            &self.action,
            &self.target,
            &self.client_addr,
            &self.detail,
            &self.prev_hash,
        ];
        for f in fields {
            h.update((f.len() as u64).to_be_bytes());
            h.update(f.as_bytes());
        }
        renkei_kernel::auth::hex(&h.finalize())
    }
}

/// The first place a chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrokenLink {
    /// An entry's position is not the one after its predecessor.
    #[error(
        "entry {found} follows entry {after}: entries {missing_from}..{found} are missing or reordered"
    )]
    Gap {
        /// The previous entry's position.
        after: i64,
        /// First missing position.
        missing_from: i64,
        /// The position found instead.
        found: i64,
    },
    /// An entry does not name its predecessor's hash.
    #[error(
        "entry {seq} does not carry the hash of entry {prev}: the chain was cut or rewritten there"
    )]
    PrevMismatch {
        /// The entry.
        seq: i64,
        /// Its predecessor.
        prev: i64,
    },
    /// An entry's contents do not match its hash.
    #[error("entry {seq} was changed after it was written: its contents do not match its hash")]
    Altered {
        /// The entry.
        seq: i64,
    },
    /// The chain ends before the head says it does.
    #[error(
        "the log ends at entry {last}, but {head} entries were written: the newest were removed"
    )]
    Truncated {
        /// Last entry present.
        last: i64,
        /// Entries the head records.
        head: i64,
    },
}

/// Walks entries in order, carrying the last good position and hash.
#[derive(Debug, Clone)]
pub struct Verifier {
    last_seq: i64,
    last_hash: String,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier {
            last_seq: 0,
            last_hash: GENESIS.to_string(),
        }
    }
}

impl Verifier {
    /// Checks the next entry.
    pub fn next(&mut self, e: &AuditEntry) -> Result<(), BrokenLink> {
        if e.seq != self.last_seq + 1 {
            return Err(BrokenLink::Gap {
                after: self.last_seq,
                missing_from: self.last_seq + 1,
                found: e.seq,
            });
        }
        if e.prev_hash != self.last_hash {
            return Err(BrokenLink::PrevMismatch {
                seq: e.seq,
                prev: self.last_seq,
            });
        }
        if e.compute_hash() != e.entry_hash {
            return Err(BrokenLink::Altered { seq: e.seq });
        }
        self.last_seq = e.seq;
        self.last_hash = e.entry_hash.clone();
        Ok(())
    }

    /// Checks that the walk reached the recorded head.
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Result<i64, BrokenLink> {
        if head_seq != self.last_seq || head_hash != self.last_hash {
            return Err(BrokenLink::Truncated {
                last: self.last_seq,
                head: head_seq,
            });
        }
        Ok(self.last_seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let mut e = AuditEntry {
                    seq,
                    at_ms: 1_700_000_000_000 + seq,
                    actor_kind: "user".into(),
                    actor_id: "u1".into(),
                    organisation_id: Some("o1".into()),
                    action: "membership.added".into(),
                    target: format!("u{seq}"),
                    client_addr: "127.0.0.1".into(),
                    detail: "{}".into(),
                    prev_hash: prev.clone(),
                    entry_hash: String::new(),
                };
                e.entry_hash = e.compute_hash();
                prev = e.entry_hash.clone();
                e
            })
            .collect()
    }

    fn verify(entries: &[AuditEntry]) -> Result<i64, BrokenLink> {
        let mut v = Verifier::default();
        for e in entries {
            v.next(e)?;
        }
        let last = entries.last().expect("entries");
        v.finish(5, &chain(5)[4].entry_hash).map(|_| last.seq)
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(5));
    }

    #[test]
    fn each_kind_of_tampering_is_found_at_its_first_entry() {
        let mut altered = chain(5);
        altered[2].target = "someone else".into();
        assert_eq!(verify(&altered), Err(BrokenLink::Altered { seq: 3 }));

        let mut removed = chain(5);
        removed.remove(1);
        assert!(matches!(
            verify(&removed),
            Err(BrokenLink::Gap { found: 3, .. })
        ));

        let mut rehashed = chain(5);
        rehashed[1].target = "forged".into();
        rehashed[1].entry_hash = rehashed[1].compute_hash();
        assert_eq!(
            verify(&rehashed),
            Err(BrokenLink::PrevMismatch { seq: 3, prev: 2 })
        );

        let truncated = chain(4);
        assert_eq!(
            verify(&truncated),
            Err(BrokenLink::Truncated { last: 4, head: 5 })
        );
    }
}
