//! File-name patterns: a cleanup's `pattern` and a file check's `glob`. `*.log` (a file
//! name, at any depth), `logs/*.gz` (a path below the root), `**/*.tmp` (`**` spans
//! directories). `*` and `?` match within one name, `[abc]` one of those bytes. Matched
//! on bytes: any name a file system allows. A name is matched in time linear in the
//! pattern times the name, whatever the pattern (no backtracking blow-up on `*a*a*a*b`).
//! Invariant: a leaf.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    /// Whole-path when it has a `/`; else the file name only.
    parts: Vec<Vec<u8>>,
    by_name: bool,
}

impl Glob {
    pub fn parse(pattern: &str) -> Result<Glob, GlobError> {
        if pattern.is_empty() {
            return Err(GlobError::Empty);
        }
        if pattern.starts_with('/') {
            return Err(GlobError::Absolute);
        }
        let parts: Vec<Vec<u8>> = pattern.split('/').map(|p| p.as_bytes().to_vec()).collect();
        for part in &parts {
            if part.is_empty() {
                return Err(GlobError::EmptyComponent);
            }
            if part == b".." || part == b"." {
                return Err(GlobError::Dots);
            }
            if part.contains(&b'[') && !part.contains(&b']') {
                return Err(GlobError::Unclosed);
            }
        }
        Ok(Glob { by_name: parts.len() == 1, parts })
    }

    /// It matches a name alone (it has no `/`).
    pub fn is_by_name(&self) -> bool {
        self.by_name
    }

    /// Whether one name matches a pattern that [`is_by_name`](Glob::is_by_name).
    pub fn matches_name(&self, name: &[u8]) -> bool {
        self.by_name && name_matches(&self.parts[0], name)
    }

    /// Whether a path below the root (its components) matches.
    pub fn matches(&self, components: &[Vec<u8>]) -> bool {
        if self.by_name {
            return components.last().is_some_and(|name| name_matches(&self.parts[0], name));
        }
        path_matches(&self.parts, components)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GlobError {
    #[error("the pattern is empty")]
    Empty,
    #[error("the pattern is absolute; it is matched below `path`")]
    Absolute,
    #[error("the pattern has an empty component (`//` or a trailing `/`)")]
    EmptyComponent,
    #[error("the pattern has a `.` or `..` component")]
    Dots,
    #[error("the pattern has a `[` without its `]`")]
    Unclosed,
}

fn path_matches(parts: &[Vec<u8>], components: &[Vec<u8>]) -> bool {
    match parts.split_first() {
        None => components.is_empty(),
        Some((part, rest)) if part == b"**" => {
            (0..=components.len()).any(|skip| path_matches(rest, &components[skip..]))
        }
        Some((part, rest)) => match components.split_first() {
            Some((name, names)) => name_matches(part, name) && path_matches(rest, names),
            None => false,
        },
    }
}

/// `*`, `?` and `[...]` within one name. On a mismatch it goes back only to the last
/// `*` seen, one byte further along the name: the earlier stars can match no better.
fn name_matches(pattern: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        let step = match pattern.get(p) {
            Some(b'*') => {
                star = Some((p + 1, n));
                p += 1;
                continue;
            }
            Some(b'?') => Some(p + 1),
            Some(b'[') => match pattern[p + 1..].iter().position(|b| *b == b']') {
                Some(close) if in_set(&pattern[p + 1..p + 1 + close], name[n]) => Some(p + close + 2),
                _ => None,
            },
            Some(c) if *c == name[n] => Some(p + 1),
            _ => None,
        };
        match (step, star) {
            (Some(next), _) => {
                p = next;
                n += 1;
            }
            (None, Some((after, from))) => {
                p = after;
                n = from + 1;
                star = Some((after, from + 1));
            }
            (None, None) => return false,
        }
    }
    pattern[p..].iter().all(|b| *b == b'*')
}

/// `abc` or ranges `a-z0-9`.
fn in_set(set: &[u8], c: u8) -> bool {
    let mut i = 0;
    while i < set.len() {
        if i + 2 < set.len() && set[i + 1] == b'-' {
            if (set[i]..=set[i + 2]).contains(&c) {
                return true;
            }
            i += 3;
        } else {
            if set[i] == c {
                return true;
            }
            i += 1;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &str) -> Vec<Vec<u8>> {
        text.split('/').map(|p| p.as_bytes().to_vec()).collect()
    }

    #[test]
    fn names_paths_and_double_stars() {
        let by_name = Glob::parse("*.log").unwrap();
        assert!(by_name.matches(&path("a.log")) && by_name.matches(&path("deep/er/b.log")));
        assert!(!by_name.matches(&path("a.log.1")) && !by_name.matches(&path("log")));
        let in_dir = Glob::parse("old/*.gz").unwrap();
        assert!(
            in_dir.matches(&path("old/x.gz")) && !in_dir.matches(&path("x.gz")) && !in_dir.matches(&path("a/old/x.gz"))
        );
        let any = Glob::parse("**/*.tmp").unwrap();
        assert!(any.matches(&path("a.tmp")) && any.matches(&path("a/b/c.tmp")));
        let set = Glob::parse("app.log.[0-9]").unwrap();
        assert!(set.matches(&path("app.log.0")) && set.matches(&path("app.log.7")) && !set.matches(&path("app.log.x")));
        let odd = Glob::parse("*").unwrap();
        assert!(odd.matches(&[b"new\nline\xff".to_vec()]), "any bytes");
        assert!(Glob::parse("?").unwrap().matches(&path("x")) && !Glob::parse("?").unwrap().matches(&path("xy")));
        let stars = Glob::parse("a*b*c").unwrap();
        assert!(stars.matches_name(b"abc") && stars.matches_name(b"aXbYbZc") && !stars.matches_name(b"aXbYcZ"));
        assert!(
            Glob::parse("*[0-9]").unwrap().matches_name(b"log9") && !Glob::parse("*[0-9]").unwrap().matches_name(b"9x")
        );
        assert!(Glob::parse("x*").unwrap().matches_name(b"x") && !Glob::parse("x*").unwrap().matches_name(b""));
        assert!(!in_dir.matches_name(b"x.gz"), "a path pattern matches no bare name");
    }

    #[test]
    fn many_stars_on_a_long_name_end_at_once() {
        let pattern = format!("{}c", "*a".repeat(20));
        let name = vec![b'a'; 255];
        assert!(!Glob::parse(&pattern).unwrap().matches_name(&name));
        let mut ends_in_c = name.clone();
        ends_in_c.push(b'c');
        assert!(Glob::parse(&pattern).unwrap().matches_name(&ends_in_c));
    }

    #[test]
    fn bad_patterns_say_why() {
        assert_eq!(Glob::parse(""), Err(GlobError::Empty));
        assert_eq!(Glob::parse("/etc/*"), Err(GlobError::Absolute));
        assert_eq!(Glob::parse("../*.log"), Err(GlobError::Dots));
        assert_eq!(Glob::parse("a//b"), Err(GlobError::EmptyComponent));
        assert_eq!(Glob::parse("[ab"), Err(GlobError::Unclosed));
    }
}
