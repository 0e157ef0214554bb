//! `kind = "command"`: a program (argv, no shell) given the notification as JSON
//! ([`Payload`]) on stdin; exit 0 is delivered.

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use super::{cut, Context, Delivery, DeliveryError, Payload};
use crate::diagnostic::Scope;
use crate::exec::{self, CommandSpec};

pub const NAME: &str = "command";

/// Output kept from a run, for the error when it fails.
const MAX_OUTPUT: usize = 4096;

/// The keys of a command channel.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// The program and its arguments (no shell), e.g. `["notify-team", "--urgent"]`.
    #[schemars(with = "Option<Vec<String>>")]
    pub command: Option<Spanned<Vec<String>>>,
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub command: CommandSpec,
}

pub fn compile(keys: Keys, scope: &mut Scope<'_, '_>) -> Option<Spec> {
    Some(Spec { command: CommandSpec::compile(keys.command, None, None, scope)? })
}

impl Delivery for Spec {
    async fn deliver(&self, context: &Context, payload: &Payload) -> Result<(), DeliveryError> {
        let json = serde_json::to_vec(payload).map_err(|e| DeliveryError(format!("cannot encode: {e}")))?;
        let mut request = self.command.request(context.timeout, MAX_OUTPUT, None);
        request.stdin = Some(json);
        match exec::run(request).await {
            Ok(run) if run.timed_out => {
                Err(DeliveryError(format!("timed out after {}", crate::units::format_duration(context.timeout))))
            }
            Ok(run) if run.exit_code == Some(0) => Ok(()),
            Ok(run) => {
                let output = run.output.trim();
                let code = run.exit_code.map_or("a signal".to_owned(), |c| format!("exit code {c}"));
                Err(DeliveryError(if output.is_empty() {
                    format!("the command ended with {code}")
                } else {
                    format!("the command ended with {code}: {}", cut(output, 200))
                }))
            }
            Err(e) => Err(DeliveryError(format!("cannot start the command: {e}"))),
        }
    }
}
