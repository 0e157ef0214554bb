//! `watchkeeper breaker ID open|disable|reset`: steers a check's breaker in the running
//! daemon (a breaker lives there).

use std::path::Path;

use watchkeeper::api::client::Client;
use watchkeeper::api::dto::{BreakerArgs, BreakerStateDto};
use watchkeeper::api::operation;

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
