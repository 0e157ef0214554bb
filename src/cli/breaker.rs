//! `watchkeeper breaker ID open|disable|reset`: steers a check's breaker in the running
//! daemon (a breaker lives there).

use std::path::Path;

use watchkeeper::api::client::Client;
use watchkeeper::api::dto::BreakerArgs;
use watchkeeper::api::operation;
use watchkeeper::breaker::Steer;

use super::{client_error, print_json};

/// `open`, `disable` or `reset`, as `breaker::Steer` spells them.
pub fn parse_steer(code: &str) -> anyhow::Result<Steer> {
    Steer::parse(code).ok_or_else(|| {
        let codes: Vec<&str> = Steer::ALL.iter().map(|s| s.code()).collect();
        anyhow::anyhow!("`{code}` is not one of {}", codes.join(", "))
    })
}

pub async fn steer(data_dir: &Path, id: &str, steer: Steer, json: bool) -> anyhow::Result<u8> {
    let client = Client::discover(data_dir).map_err(client_error)?;
    let args = BreakerArgs { id: id.to_owned(), state: steer.target().into() };
    let breaker = client.as_cli().call::<operation::SteerBreaker>(&args).await.map_err(client_error)?;
    if json {
        print_json(&breaker)?;
        return Ok(0);
    }
    let reset = match steer {
        Steer::Reset => String::new(),
        _ => format!(" (`watchkeeper breaker {id} reset`)"),
    };
    say!("breaker of `{id}`: {}{reset}", watchkeeper::words::steered(steer));
    Ok(0)
}
