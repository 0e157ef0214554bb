//! Values with a stable text code (`up`, `refused`, `half_open`): how they are stored
//! in the history and how they read on the wire. [`codes!`] declares such an enum once,
//! with its codes beside its variants, so a code is written in one place only.

/// A value with a stable text code.
pub trait Code: Copy + Sized + 'static {
    /// What a value is called in messages ("status", "failure class").
    const WHAT: &'static str;
    /// Every value, in declaration order.
    const ALL: &'static [Self];

    fn code(self) -> &'static str;

    /// The value with this code, if any.
    fn from_code(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|value| value.code() == text)
    }
}

/// Declares an enum whose variants each have a stable code:
/// `codes! { /// docs \n pub enum Status("status") { /// docs \n Up = "up", ... } }`.
/// It gets `as_str`, `parse`, `ALL`, `Display` and [`Code`].
macro_rules! codes {
    (
        $(#[$meta:meta])*
        pub enum $name:ident($what:literal) {
            $($(#[$variant_meta:meta])* $variant:ident = $code:literal,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$variant_meta])* $variant,)*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)*
                }
            }

            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($code => Some($name::$variant),)*
                    _ => None,
                }
            }
        }

        impl $crate::model::Code for $name {
            const WHAT: &'static str = $what;
            const ALL: &'static [$name] = $name::ALL;

            fn code(self) -> &'static str {
                self.as_str()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use codes;

#[cfg(test)]
mod tests {
    use crate::model::{BreakerState, Code, FailureClass, GroupLevel, Requester, RunStatus, Status};

    fn round_trips<T: Code + PartialEq + std::fmt::Debug>() {
        let mut seen = std::collections::HashSet::new();
        for value in T::ALL {
            assert!(seen.insert(value.code()), "{}: code `{}` is used twice", T::WHAT, value.code());
            assert_eq!(T::from_code(value.code()), Some(*value), "{} `{}` reads back", T::WHAT, value.code());
        }
        assert_eq!(T::from_code("no-such-code"), None);
    }

    #[test]
    fn every_code_is_unique_and_reads_back() {
        round_trips::<Status>();
        round_trips::<GroupLevel>();
        round_trips::<FailureClass>();
        round_trips::<BreakerState>();
        round_trips::<RunStatus>();
        round_trips::<Requester>();
    }
}
