use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use shared::usecases::subscriptions::Vetting;

/// The safety-reporting platform on one machine.
#[derive(Parser)]
#[command(name = "num", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every function on this machine on embedded backends: web pages, public and staff API, streams, delivery.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// Where the database and master key live (default: $NUM_DATA_DIR, else ./.num-data).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Members are active as soon as they verify, without staff approving each one (vetting is on by default).
        #[arg(long)]
        no_vetting: bool,
    },
    /// Print the alert the sanitiser drafts from one report (a file, or standard input).
    Sanitise {
        /// The report (report.schema.json); standard input when left out or `-`.
        file: Option<PathBuf>,
    },
    /// Staff tools for the local server.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// The audit log of the local server.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// List the email and SMS messages the local server has sent, newest last.
    Outbox {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Only the messages about this subscription (S-...) or alert (A-...); add :email or :sms for one contact's code.
        #[arg(long, value_name = "ID")]
        about: Option<String>,
        /// Wait up to this many seconds until there are at least --count messages (sending happens a moment after the
        /// request that causes it). Exit status 1 if they have not come by then.
        #[arg(long, value_name = "SECONDS")]
        wait: Option<u64>,
        /// How many messages --wait waits for.
        #[arg(long, default_value_t = 1, requires = "wait")]
        count: usize,
        /// Print only the verification code of the newest code message, for a script to use.
        #[arg(long, conflicts_with = "json")]
        code: bool,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Write the static site (the report form, its stylesheet, robots.txt) into a folder: `num site --out infra/web`.
    Site {
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Print a bearer token for the local server, good for one hour. It can never authorise anything in the cloud.
    Token {
        /// caseworker, reviewer, office_manager or admin.
        #[arg(long)]
        role: String,
        /// Who the token names in the audit log.
        #[arg(long, default_value = "local-staff")]
        name: String,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Create a staff account for the local console (/staff/): a password (read from standard input with
    /// --password-stdin, else made here and printed once) and a TOTP secret for an authenticator app (printed once).
    Add {
        /// caseworker, reviewer, office_manager or admin.
        #[arg(long)]
        role: String,
        /// The name to sign in with (2 to 40 letters, digits, dots, dashes, underscores); the audit log shows it.
        #[arg(long)]
        name: String,
        /// Read the password (at least 12 characters) from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the chain: every entry present, in order, unchanged, each keyed link holding; and, given anchors from
    /// outside the table (the `audit entry` log lines), that the chain is the one that was logged. Exit status 1 when
    /// it is broken, naming the first entry at fault.
    Verify {
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// An anchor taken from outside the table: `<audit_seq>:<audit_mac>` of an `audit entry` log line. May be
        /// given more than once.
        #[arg(long, value_name = "SEQ:MAC")]
        head: Vec<String>,
        /// A file of log lines (the server's or the admin function's log; `-` for standard input): every `audit
        /// entry` line in it is an anchor. May be given more than once.
        #[arg(long, value_name = "FILE")]
        anchors: Vec<PathBuf>,
    },
}

fn fail(code: u8, msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("num: {msg}");
    ExitCode::from(code)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { addr, data_dir, no_vetting } => {
            num_cli::logging::init();
            let dir = num_cli::serve::data_dir(data_dir);
            let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("the runtime starts");
            match rt.block_on(num_cli::serve::run(&addr, &dir, if no_vetting { Vetting::Off } else { Vetting::On })) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(1, format!("serve: {e:#}")),
            }
        }
        Command::Sanitise { file } => {
            let mut input = Vec::new();
            let read = match file.as_deref() {
                None => std::io::stdin().read_to_end(&mut input).map(|_| ()),
                Some(p) if p.as_os_str() == "-" => std::io::stdin().read_to_end(&mut input).map(|_| ()),
                Some(p) => std::fs::read(p).map(|b| input = b),
            };
            if let Err(e) = read {
                return fail(2, format!("sanitise: cannot read the report: {e}"));
            }
            match num_cli::sanitise::run(&input) {
                Ok(out) => {
                    use std::io::Write;
                    // A closed pipe (`num sanitise | head`) is not an error of ours.
                    let _ = writeln!(std::io::stdout(), "{out}");
                    ExitCode::SUCCESS
                }
                Err(msg) => fail(2, format!("sanitise: {msg}")),
            }
        }
        Command::Staff { command: StaffCommand::Token { role, name, data_dir } } => {
            let dir = num_cli::serve::data_dir(data_dir);
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("the runtime starts");
            match rt.block_on(num_cli::staff::token(&dir, &role, &name)) {
                Ok(t) => {
                    println!("{t}");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(2, format!("staff token: {e:#}")),
            }
        }
        Command::Staff { command: StaffCommand::Add { role, name, password_stdin, data_dir } } => {
            let dir = num_cli::serve::data_dir(data_dir);
            let password = if password_stdin {
                let mut line = String::new();
                if let Err(e) = std::io::stdin().read_line(&mut line) {
                    return fail(2, format!("staff add: cannot read the password: {e}"));
                }
                Some(line.trim_end_matches(['\r', '\n']).to_owned())
            } else {
                None
            };
            let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("the runtime starts");
            match rt.block_on(num_cli::staff::add(&dir, &role, &name, password)) {
                Ok(out) => {
                    print!("{out}");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(2, format!("staff add: {e:#}")),
            }
        }
        Command::Audit { command: AuditCommand::Verify { data_dir, head, anchors } } => {
            let dir = num_cli::serve::data_dir(data_dir);
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("the runtime starts");
            let sources = num_cli::audit::AnchorSources { heads: head, files: anchors };
            match rt.block_on(num_cli::audit::verify(&dir, &sources)) {
                Ok((true, msg)) => {
                    println!("{msg}");
                    ExitCode::SUCCESS
                }
                Ok((false, msg)) => fail(1, format!("audit verify: {msg}")),
                Err(e) => fail(2, format!("audit verify: {e:#}")),
            }
        }
        Command::Outbox { json, about, wait, count, code, data_dir } => {
            let dir = num_cli::serve::data_dir(data_dir);
            let query = num_cli::outbox::Query { about, wait: wait.map(std::time::Duration::from_secs), count, code, json };
            match num_cli::outbox::run(&dir, &query) {
                Ok(s) => {
                    print!("{s}");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(1, format!("outbox: {e:#}")),
            }
        }
        Command::Site { out } => match num_cli::site::write(&out) {
            Ok(paths) => {
                for p in paths {
                    println!("wrote {}", p.display());
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(1, format!("site: {e:#}")),
        },
    }
}
