//! `watchkeeper-desktop`: the tray app. A thin shell around the core: the engine and
//! its loopback API run in-process (`watchkeeper::daemon`), and this crate only draws
//! what the core decides (`watchkeeper::desktop`): the tray and the notifications. The
//! dashboard window is a process of its own (`--window`, see `dashboard`), started when
//! asked for and gone when closed; its page talks to it over Tauri IPC, and it to the
//! core over the loopback API.
//!
//! With no display it runs the headless daemon instead and says where its dashboard is.

mod autostart;
mod dashboard;
mod memory;
mod notifications;
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
    /// Only the dashboard window, of the app already running on --data-dir (what the
    /// tray's "Open dashboard" starts)
    #[arg(long)]
    window: bool,
    /// The dashboard page to show, such as `#/check/orders-api` (with --window)
    #[arg(long, requires = "window")]
    route: Option<String>,
}

/// What the tray process keeps: the core, its data dir, and the window's process.
pub struct Shell {
    pub engine: Engine,
    pub daemon: Mutex<Option<Daemon>>,
    pub data_dir: PathBuf,
    pub window: window::WindowProcess,
    pub notifications: notifications::Shown,
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
    if args.window {
        return match dashboard::run(data_dir, args.route) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::from(3)
            }
        };
    }
    if let Err(e) = daemon::create_private_dir(&data_dir) {
        eprintln!("error: {e:#}");
        return ExitCode::from(3);
    }
    let _logs = watchkeeper::telemetry::init("info", Some(&data_dir));
    // One worker, as the daemon: the engine's work is small and cross-thread wake-ups
    // cost more than it does.
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(3);
        }
    };
    let options = daemon::Options {
        config_path: config_path.clone(),
        data_dir: data_dir.clone(),
        listen: args.listen,
        desktop: true,
    };

    if let Some(missing) = preflight::no_display() {
        // Degrade, never die: the same engine, headless, with its dashboard in a browser.
        println!("watchkeeper-desktop: {missing}: running the headless daemon instead");
        let options = daemon::Options { desktop: false, ..options };
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
                data_dir: data_dir.clone(),
                window: window::WindowProcess::default(),
                notifications: notifications::Shown::default(),
            });
            // SIGTERM and Ctrl-C end the app as Quit does: history flushed, api.json gone.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                daemon::wait_for_signal().await;
                handle.exit(0);
            });
            tray::start(app.handle(), engine.clone());
            notifications::start(app.handle(), engine);
            // Everything is loaded by now: the loader's relocation tables are dead.
            let released = memory::release_relocation_tables();
            tracing::info!(released_kb = released / 1024, "relocation tables released");
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
        // Never a window here, but stay in the tray whatever asks. Quit asks with a code.
        RunEvent::ExitRequested { code: None, api, .. } => api.prevent_exit(),
        RunEvent::Exit => {
            if let Some(shell) = app.try_state::<Shell>() {
                shell.window.stop();
            }
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
