//! `jeevibe`: the all-in-one server and the operator commands.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use shared::auth::DevKeys;
use shared::config::Config;
use shared::domain::Tier;

#[derive(Parser)]
#[command(name = "jeevibe", about = "JEEVibe backend: all functions on one port, and operator commands")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve every function on $PORT (the default command).
    Serve,
    /// Validate a JSONL question bank (errors with line numbers) and load it into the store.
    Import {
        /// JSONL file.
        file: PathBuf,
        /// Only validate; write nothing.
        #[arg(long)]
        check: bool,
    },
    /// Print a Firebase-shaped ID token signed with the local development key.
    MintToken {
        /// Firebase uid (the token's sub).
        #[arg(long)]
        uid: String,
        /// free | pro | ultra.
        #[arg(long, default_value = "free")]
        tier: String,
        /// Lifetime in seconds (negative mints an expired token, for testing).
        #[arg(long, default_value_t = 3600, allow_negative_numbers = true)]
        ttl: i64,
        /// Key directory (created with a new key pair when missing).
        #[arg(long, env = "JEEVIBE_DEV_KEYS_DIR", default_value = ".dev/keys")]
        keys_dir: PathBuf,
    },
    /// Delete snaps and tutor conversations whose retention has ended (with their images), and
    /// release reservations of abandoned pending snaps. Prints a JSON report.
    Sweep {
        /// Documents per batch (1-250).
        #[arg(long, default_value_t = 200)]
        batch: usize,
    },
    /// Weekly progress snapshots.
    Snapshot {
        #[command(subcommand)]
        command: SnapshotCommand,
    },
    /// Print the OpenAPI 3.1 document of every route (what `GET /openapi.json` serves; `make
    /// openapi` writes it to docs/openapi.json).
    Openapi,
    /// Write a deterministic synthetic bank as JSONL (for benchmarks and load tests).
    GenBank {
        /// Number of questions.
        #[arg(long, default_value_t = 8000)]
        count: usize,
        /// Seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Output file (stdout when absent).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Simulated adaptive testing: the engine's selection and θ estimator on a bank and
    /// examinees with θ ~ N(0, 1); prints time per selection and θ RMSE/bias as JSON.
    Simulate {
        /// JSONL bank (default: the synthetic bank of --count and --seed).
        #[arg(long)]
        bank: Option<PathBuf>,
        /// Synthetic bank size.
        #[arg(long, default_value_t = 8000)]
        count: usize,
        /// Synthetic bank seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Number of simulated examinees.
        #[arg(long, default_value_t = 200)]
        examinees: usize,
        /// Seed of the examinees (θ and response draws).
        #[arg(long, default_value_t = 7)]
        examinee_seed: u64,
        /// Test lengths to report, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "10,20,30")]
        lengths: Vec<usize>,
        /// Also write items.csv and examinees.csv here (for benches/catsim_compare.py).
        #[arg(long)]
        export: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum SnapshotCommand {
    /// Run the weekly snapshot on this machine (in-process workers), wait until the run is
    /// complete and print its run document. A week already complete is not run again.
    Run {
        /// ISO week `YYYY-Www` (IST); default: the last complete week.
        #[arg(long)]
        week: Option<String>,
        /// Give up waiting after this many seconds.
        #[arg(long, default_value_t = 3600)]
        timeout: u64,
    },
}

async fn snapshot_run(week: Option<String>, timeout: u64) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    shared::telemetry::init(config.log_format);
    let state = shared::startup::build_state(&config).await?;
    let now = chrono::Utc::now();
    let week = shared::snapshot::schedule::week_for(week.as_deref(), None, now).map_err(anyhow::Error::msg)?;
    let outcome = shared::snapshot::trigger(state.store.as_ref(), state.jobs.as_ref(), week, now).await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(timeout);
    let label = week.label();
    let run = loop {
        let run = shared::snapshot::RunDoc::read(state.store.as_ref(), &label)
            .await?
            .with_context(|| format!("run {label} vanished"))?;
        if run.state == shared::snapshot::RunState::Complete {
            break run;
        }
        if matches!(outcome, shared::snapshot::TriggerOutcome::InProgress(_)) && state.jobs.backend() == "inprocess" {
            eprintln!("run {label} is already in progress (started {}); waiting for it", run.started_at.to_rfc3339());
        }
        if std::time::Instant::now() > deadline {
            anyhow::bail!("run {label} not complete after {timeout} s: {}", snapshot_fanout::run_view(&run));
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    println!("{}", serde_json::to_string_pretty(&snapshot_fanout::run_view(&run))?);
    Ok(())
}

async fn import(file: PathBuf, check: bool) -> anyhow::Result<()> {
    if check {
        let f = std::fs::File::open(&file).with_context(|| format!("opening {}", file.display()))?;
        let report = shared::bank::parse_jsonl(std::io::BufReader::new(f));
        if !report.errors.is_empty() {
            anyhow::bail!("{} invalid line(s):\n{}", report.errors.len(), report.error_text());
        }
        if report.questions.is_empty() {
            anyhow::bail!("{}: no questions", file.display());
        }
        println!("{}: {} valid questions", file.display(), report.questions.len());
        return Ok(());
    }
    let config = Config::from_env()?;
    let store = shared::startup::open_store(&config).await?;
    let (n, version) = shared::startup::import_file(store.as_ref(), &file).await?;
    println!("imported {n} questions from {} (bank version {version})", file.display());
    Ok(())
}

fn mint(uid: &str, tier: &str, ttl: i64, keys_dir: &std::path::Path) -> anyhow::Result<()> {
    let tier = Tier::parse(tier).with_context(|| format!("tier {tier:?} is not free, pro or ultra"))?;
    shared::domain::UserId::parse(uid).map_err(anyhow::Error::msg)?;
    let project = std::env::var("FIREBASE_PROJECT_ID").unwrap_or_else(|_| "jeevibe-dev".into());
    let keys = DevKeys::load_or_generate(keys_dir)?;
    println!("{}", keys.mint(&project, uid, tier, chrono::Utc::now().timestamp(), ttl)?);
    Ok(())
}

fn gen_bank(count: usize, seed: u64, out: Option<PathBuf>) -> anyhow::Result<()> {
    let lines: Vec<String> = shared::bank::synthetic::generate(count, seed)
        .iter()
        .map(|q| serde_json::to_string(&q.to_raw()))
        .collect::<Result<_, _>>()?;
    let text = lines.join("\n") + "\n";
    match out {
        Some(p) => std::fs::write(&p, text).with_context(|| format!("writing {}", p.display()))?,
        None => print!("{text}"),
    }
    Ok(())
}

struct SimulateArgs {
    bank: Option<PathBuf>,
    count: usize,
    seed: u64,
    examinees: usize,
    examinee_seed: u64,
    lengths: Vec<usize>,
    export: Option<PathBuf>,
}

fn simulate(args: SimulateArgs) -> anyhow::Result<()> {
    use all_in_one::simulate;
    let bank = match &args.bank {
        Some(path) => {
            let f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
            let report = shared::bank::parse_jsonl(std::io::BufReader::new(f));
            if !report.errors.is_empty() {
                anyhow::bail!("{} invalid line(s):\n{}", report.errors.len(), report.error_text());
            }
            report.questions
        }
        None => shared::bank::synthetic::generate(args.count, args.seed),
    };
    let max_items = args.lengths.iter().copied().max().unwrap_or(0);
    if max_items == 0 || max_items > bank.len() {
        anyhow::bail!("--lengths must be between 1 and the bank size ({})", bank.len());
    }
    let people = simulate::examinees(args.examinees, args.examinee_seed, max_items);
    if let Some(dir) = &args.export {
        simulate::export(dir, &bank, &people)?;
    }
    let reports: Vec<simulate::MethodReport> = simulate::Method::ALL
        .iter()
        .map(|m| simulate::run(&bank, &people, &args.lengths, *m, args.examinee_seed))
        .collect();
    println!("{}", serde_json::to_string_pretty(&simulate::to_json(bank.len(), people.len(), &reports))?);
    Ok(())
}

async fn sweep(batch: usize) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let state = shared::startup::build_state(&config).await?;
    println!("{}", all_in_one::operator_events::sweep(&state, batch).await?);
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    shared::runtime::exit_code(run(Cli::parse()).await)
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            shared::runtime::start_with_state(
                all_in_one::documented_router,
                shared::runtime::InstanceParts::ALL,
                |state| Some(all_in_one::operator_events::OperatorEvents::new(state) as _),
            )
            .await
        }
        Command::Import { file, check } => import(file, check).await,
        Command::MintToken { uid, tier, ttl, keys_dir } => mint(&uid, &tier, ttl, &keys_dir),
        Command::Openapi => {
            print!("{}", all_in_one::openapi_json());
            Ok(())
        }
        Command::GenBank { count, seed, out } => gen_bank(count, seed, out),
        Command::Sweep { batch } => sweep(batch).await,
        Command::Simulate { bank, count, seed, examinees, examinee_seed, lengths, export } => {
            simulate(SimulateArgs { bank, count, seed, examinees, examinee_seed, lengths, export })
        }
        Command::Snapshot { command: SnapshotCommand::Run { week, timeout } } => snapshot_run(week, timeout).await,
    }
}
