//! `watchkeeper-desktop`: the tray app. A thin shell around the core: the engine and
//! its loopback API run in-process (`watchkeeper::daemon`), and this crate only draws
//! what the core decides (`watchkeeper::desktop`): the tray, the notifications, and the
//! dashboard window that talks to the core over Tauri IPC.
//!
//! With no display it runs the headless daemon instead and says where its dashboard is.

mod commands;
mod notices;
mod preflight;
mod tray;
mod window;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

use clap::Parser;
use tauri::{Manager as _, RunEvent};
use watchkeeper::daemon::{self, Daemon};
use watchkeeper::engine::Engine;

#[derive(Parser)]
#[command(name = "watchkeeper-desktop", version, about = "Watchkeeper in the tray: health, alerts and recovery")]
struct Args {
    /// Config file [default: the platform config dir]
    #[arg(long, env = "WATCHKEEPER_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,
    /// Data dir: history, logs, api.json [default: the platform data dir]
    #[arg(long, env = "WATCHKEEPER_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Where the loopback API and browser dashboard listen (port 0 picks a free one)
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Start in the tray without opening the window (as autostart does)
    #[arg(long)]
    minimized: bool,
}

/// What the shell keeps: the core, and the window's live-update forwarder.
pub struct Shell {
    pub engine: Engine,
    pub daemon: Mutex<Option<Daemon>>,
    pub forwarder: Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
    pub notices: notices::Shown,
}

fn main() -> ExitCode {
    // Two malloc arenas, not one per thread (as the daemon): GTK, WebKit and the core
    // start many mostly idle threads, and per-thread arenas keep memory for nothing.
    // SAFETY: mallopt is called before any other thread exists.
    #[cfg(target_env = "gnu")]
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
    // GTK on X11 sets up OpenGL (Mesa, LLVM: about 25 MB) when it opens the display, for
    // GL widgets this app has none of; WebKit sets up its own when a window shows. Left
    // as the user has it when they set it.
    // Called before any other thread exists.
    if cfg!(target_os = "linux") && std::env::var_os("GDK_GL").is_none() {
        std::env::set_var("GDK_GL", "disable");
    }
    let args = Args::parse();
    let config_path = args.config.clone().unwrap_or_else(watchkeeper::paths::default_config);
    let data_dir = args.data_dir.clone().unwrap_or_else(watchkeeper::paths::default_data_dir);
    if let Err(e) = daemon::create_private_dir(&data_dir) {
        eprintln!("error: {e:#}");
        return ExitCode::from(3);
    }
    let _logs = watchkeeper::telemetry::init("info", Some(&data_dir));
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(3);
        }
    };
    let options = daemon::Options { config_path: config_path.clone(), data_dir: data_dir.clone(), listen: args.listen };

    if let Some(missing) = preflight::no_display() {
        // Degrade, never die: the same engine, headless, with its dashboard in a browser.
        println!("watchkeeper-desktop: {missing}: running the headless daemon instead");
        let outcome = runtime.block_on(daemon::run(options, |ready| {
            print!("{}", ready.banner(&config_path, &data_dir));
            use std::io::Write as _;
            let _ = std::io::stdout().flush();
        }));
        return match outcome {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::from(3)
            }
        };
    }

    tauri::async_runtime::set(runtime.handle().clone());
    let minimized = args.minimized;
    let built = tauri::Builder::default()
        // First: a second launch ends here and opens the first one's window instead.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| window::open(app, None)))
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec!["--minimized"]),
        ))
        .invoke_handler(tauri::generate_handler![
            commands::status,
            commands::health,
            commands::check,
            commands::results,
            commands::history,
            commands::incidents,
            commands::action_runs,
            commands::run_action,
            commands::pause,
            commands::resume,
            commands::subscribe,
        ])
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::Destroyed = event {
                window::destroyed(window.app_handle());
            }
        })
        .setup(move |app| {
            let degraded = preflight::desktop();
            let started = match tauri::async_runtime::block_on(daemon::start(options, degraded)) {
                Ok(started) => started,
                Err(e) => {
                    // Tauri would turn an error from here into a panic: say it plainly.
                    tracing::error!("cannot start: {e:#}");
                    eprintln!("error: {e:#}");
                    std::process::exit(3);
                }
            };
            print!("watchkeeper-desktop is running in the tray\n{}", started.ready.banner(&config_path, &data_dir));
            {
                use std::io::Write as _;
                let _ = std::io::stdout().flush();
            }
            let engine = started.engine.clone();
            app.manage(Shell {
                engine: engine.clone(),
                daemon: Mutex::new(Some(started)),
                forwarder: Mutex::new(None),
                notices: notices::Shown::default(),
            });
            // SIGTERM and Ctrl-C end the app as Quit does: history flushed, api.json gone.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                daemon::wait_for_signal().await;
                handle.exit(0);
            });
            tray::start(app.handle(), engine.clone());
            notices::start(app.handle(), engine);
            if !minimized {
                window::open(app.handle(), None);
            }
            Ok(())
        })
        .build(tauri::generate_context!());
    let app = match built {
        Ok(app) => app,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(3);
        }
    };
    app.run(|app, event| match event {
        // The last window closed: stay in the tray. Quit asks with a code.
        RunEvent::ExitRequested { code: None, api, .. } => api.prevent_exit(),
        RunEvent::Exit => {
            let daemon = app.try_state::<Shell>().and_then(|shell| shell.daemon.lock().ok()?.take());
            if let Some(daemon) = daemon {
                tauri::async_runtime::block_on(daemon.stop());
            }
            tray::remove_icon_files();
            tracing::info!(icon_changes = tray::icon_changes(), "tray stopped");
        }
        _ => {}
    });
    ExitCode::SUCCESS
}
