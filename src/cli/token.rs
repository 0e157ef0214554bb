//! `watchkeeper token rotate`: a new API token. A running daemon replaces its own and
//! keeps it; with none running the data dir's is replaced for its next start.

use std::path::Path;

use watchkeeper::api::client::{read_api_file, Client, ClientError};

use super::client_error;

pub async fn rotate(data_dir: &Path) -> anyhow::Result<u8> {
    if let Ok(client) = Client::discover(data_dir) {
        match client.rotate_token().await {
            Ok(()) => {
                let api = read_api_file(data_dir)?;
                say!("the API token was replaced: the old one is refused from now on");
                say!("dashboards opened with the old one need the new link:\n  {}/#token={}", api.url, api.token);
                return Ok(0);
            }
            // An api.json left by a daemon that died: nobody serves the token.
            Err(ClientError::Unreachable { .. }) => {}
            Err(e) => return Err(client_error(e)),
        }
    }
    watchkeeper::daemon::rotate_token_at_rest(data_dir)?;
    say!("the API token was replaced: the daemon serves with it from its next start");
    Ok(0)
}
