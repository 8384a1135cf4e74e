//! `runner up`: serves a Spin manifest-v2 application on wasmtime, with Spin's flags.

mod app;
mod compose;
mod engine;
mod host;
mod outbound;
mod runtime_config;
mod server;
mod state;
mod stores;
mod variables;

use app_manifest::{manifest, routes};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "runner",
    version,
    about = "Runs a Spin application locally on wasmtime"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the application (the same flags as `spin up`).
    Up(UpArgs),
}

#[derive(clap::Args)]
struct UpArgs {
    /// The application manifest, or the directory containing `spin.toml`.
    #[arg(short = 'f', long = "from", alias = "file")]
    from: Option<PathBuf>,
    /// The address to listen on.
    #[arg(long, env = "SPIN_HTTP_LISTEN_ADDR", default_value = "127.0.0.1:3000")]
    listen: String,
    /// Where SQLite and key-value files live (default: `.spin` beside the manifest). An
    /// empty value keeps the default database and store in memory.
    #[arg(long)]
    state_dir: Option<String>,
    /// A SQL statement run against the default database before serving, or `@file.sql`
    /// (`@file.sql:label` for another database) to run a file of statements.
    #[arg(long)]
    sqlite: Vec<String>,
    /// A `key=value` pair set in the default key-value store before serving.
    #[arg(long = "key-value")]
    key_values: Vec<String>,
    /// An application variable, `name=value`.
    #[arg(long = "variable")]
    variables: Vec<String>,
    /// A Spin runtime configuration file.
    #[arg(long, env = "RUNTIME_CONFIG_FILE")]
    runtime_config_file: Option<PathBuf>,
    /// Serve only these components' routes.
    #[arg(short = 'c', long = "component-id")]
    component_ids: Vec<String>,
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RUNNER_LOG").unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("info,wasmtime=warn,cranelift=warn")
            }),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Up(args) => up(args),
    };
    if let Err(e) = result {
        eprintln!("Error: {e:#}");
        std::process::exit(1);
    }
}

fn up(args: UpArgs) -> Result<()> {
    let variables = args
        .variables
        .iter()
        .map(|v| match v.split_once('=') {
            Some((k, v)) => Ok((k.to_string(), v.to_string())),
            None => bail!("--variable {v:?} must be name=value"),
        })
        .collect::<Result<Vec<_>>>()?;
    let key_values = args
        .key_values
        .iter()
        .map(|v| match v.split_once('=') {
            Some((k, v)) => Ok((k.to_string(), v.to_string())),
            None => bail!("--key-value {v:?} must be key=value"),
        })
        .collect::<Result<Vec<_>>>()?;
    let state_dir = match args.state_dir.as_deref() {
        None => app::StateDir::Default,
        Some("") => app::StateDir::Unset,
        Some(dir) => app::StateDir::Provided(PathBuf::from(dir)),
    };
    let opts = app::UpOptions {
        manifest: app::resolve_manifest_path(args.from.as_deref())?,
        state_dir,
        sqlite: args.sqlite,
        key_values,
        variables,
        runtime_config: args.runtime_config_file,
        component_ids: args.component_ids,
    };
    let limits = engine::Limits::from_env()?;
    let engine = engine::new_engine(&limits)?;
    let app = app::App::load(&opts, engine, limits)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let shutdown = server::Shutdown::install()?;
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let addr = listener.local_addr()?;
        let base = format!("http://{addr}");
        let mut out = std::io::stdout().lock();
        writeln!(out, "\nServing {base}")?;
        writeln!(out, "Available Routes:")?;
        for (component, route, wildcard) in app.router.routes() {
            let suffix = if wildcard { " (wildcard)" } else { "" };
            writeln!(out, "  {component}: {base}{route}{suffix}")?;
            if let Some(description) = app
                .components
                .get(component)
                .map(|c| &c.description)
                .filter(|d| !d.is_empty())
            {
                writeln!(out, "    {description}")?;
            }
        }
        out.flush()?;
        drop(out);
        server::serve(app, listener, shutdown).await
    })
}
