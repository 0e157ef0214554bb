//! `watchkeeper breaker ID open|disable|reset`: steers a check's breaker in the running
//! daemon (a breaker lives there); `status` shows each breaker in one phrase.

use std::path::Path;

use chrono::{DateTime, Utc};
use watchkeeper::api::client::Client;
use watchkeeper::api::dto::{BreakerArgs, BreakerDto, BreakerStateDto};
use watchkeeper::api::operation;
use watchkeeper::model::BreakerState;

use super::{client_error, print_json};

/// What the user asks a breaker to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SteerArg {
    /// Force it open: no probe reaches the target until it is reset
    Open,
    /// Disable it: probes go on and are counted, it never opens
    Disable,
    /// Reset it: closed, with a fresh window
    Reset,
}

pub async fn steer(data_dir: &Path, id: &str, steer: SteerArg, json: bool) -> anyhow::Result<u8> {
    let client = Client::discover(data_dir).map_err(client_error)?;
    let state = match steer {
        SteerArg::Open => BreakerStateDto::ForcedOpen,
        SteerArg::Disable => BreakerStateDto::Disabled,
        SteerArg::Reset => BreakerStateDto::Closed,
    };
    let args = BreakerArgs { id: id.to_owned(), state };
    let breaker = client.as_cli().call::<operation::SteerBreaker>(&args).await.map_err(client_error)?;
    if json {
        print_json(&breaker)?;
        return Ok(0);
    }
    let what = match steer {
        SteerArg::Open => {
            format!("forced open: no probe reaches it until `watchkeeper breaker {id} reset`")
        }
        SteerArg::Disable => format!("disabled: probes go on, it never opens, until `watchkeeper breaker {id} reset`"),
        SteerArg::Reset => "closed, with a fresh window".to_owned(),
    };
    println!("breaker of `{id}`: {what}");
    Ok(0)
}

/// A breaker in one phrase, as the dashboard's overview says it: `closed`, `closed,
/// 20% failed of 10`, `open, trial in 12s`, `half_open, trial 1 of 3`, `forced_open`.
pub fn summary(breaker: &BreakerDto, now: DateTime<Utc>) -> String {
    let state = BreakerState::from(breaker.state);
    match state {
        BreakerState::Open => match breaker.next_trial_at.as_deref().and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        {
            Some(at) => {
                let seconds = (at.with_timezone(&Utc) - now).num_seconds();
                if seconds > 0 {
                    format!(
                        "open, trial in {}",
                        watchkeeper::units::format_duration(std::time::Duration::from_secs(seconds as u64))
                    )
                } else {
                    "open, trial due".to_owned()
                }
            }
            None => "open".to_owned(),
        },
        BreakerState::HalfOpen => {
            format!("half_open, trial {} of {}", breaker.calls + 1, breaker.rule.half_open_calls)
        }
        BreakerState::Closed | BreakerState::Disabled => match breaker.failure_rate {
            Some(rate) if breaker.failed_calls > 0 => format!("{state}, {rate}% failed of {}", breaker.calls),
            _ => state.as_str().to_owned(),
        },
        BreakerState::ForcedOpen => state.as_str().to_owned(),
    }
}
