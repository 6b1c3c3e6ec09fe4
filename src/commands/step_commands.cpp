#include "commands/step_commands.h"

#include <cstdlib>

#include "commands/multi_namespace.h"
#include "commands/session.h"
#include "crypto/algorithm.h"
#include "crypto/random.h"
#include "steps/admin_token.h"
#include "steps/key_gen.h"
#include "steps/rotate.h"
#include "util/errors.h"
#include "util/time.h"

namespace rotator::commands {
namespace {

std::chrono::milliseconds duration_option(const po::variables_map& vm, const char* name) {
  const std::string text = vm[name].as<std::string>();
  const auto parsed = util::parse_duration(text);
  if (!parsed) throw UsageError("--" + std::string(name) + " must be a duration such as 30d, 12h or 0 (at most 36500d), not \"" + text + "\"");
  return *parsed;
}

void add_key_options(po::options_description& o) {
  o.add_options()
      ("secret", po::value<std::string>()->default_value("rsa-keys")->value_name("NAME"), "Secret holding the signing keys")
      ("algorithm", po::value<std::string>()->default_value("RS256")->value_name("ALG"), "RS256, ES256 or EdDSA")
      ("rsa-bits", po::value<int>()->value_name("BITS"), "RSA modulus size for RS256: 2048 (default), 3072 or 4096")
      ("force", po::bool_switch(), "replace invalid existing data instead of refusing (exit 5)");
}

steps::KeyGenOptions key_gen_options(const po::variables_map& vm) {
  steps::KeyGenOptions options;
  options.secret_name = vm["secret"].as<std::string>();
  const auto algorithm = crypto::algorithm_from_jose_name(vm["algorithm"].as<std::string>());
  if (!algorithm) throw UsageError("--algorithm must be RS256, ES256 or EdDSA");
  options.algorithm = *algorithm;
  if (vm.count("rsa-bits")) {
    const int bits = vm["rsa-bits"].as<int>();
    if (options.algorithm != crypto::Algorithm::rs256) throw UsageError("--rsa-bits applies to RS256 only");
    if (bits != 2048 && bits != 3072 && bits != 4096) throw UsageError("--rsa-bits must be 2048, 3072 or 4096");
    options.rsa_bits = bits;
  }
  options.force = vm["force"].as<bool>() ? steps::Force::yes : steps::Force::no;
  return options;
}

void add_admin_token_options(po::options_description& o, const char* secret_flag) {
  o.add_options()
      (secret_flag, po::value<std::string>()->default_value("admin-token")->value_name("NAME"), "Secret holding the admin token file")
      ("keys-secret", po::value<std::string>()->default_value("rsa-keys")->value_name("NAME"), "Secret holding the signing keys")
      ("ttl", po::value<std::string>()->default_value("0")->value_name("DURATION"), "lifetime of a new admin token; 0: no expiry")
      ("renew-before", po::value<std::string>()->default_value("0")->value_name("DURATION"),
       "replace the token when it expires within this long")
      ("issuer", po::value<std::string>()->default_value("rotator")->value_name("ISS"), "iss claim of new tokens");
}

steps::AdminTokenOptions admin_token_options(const po::variables_map& vm, const char* secret_flag) {
  steps::AdminTokenOptions options;
  options.secret_name = vm[secret_flag].as<std::string>();
  options.keys_secret_name = vm["keys-secret"].as<std::string>();
  options.ttl = duration_option(vm, "ttl");
  options.renew_before = duration_option(vm, "renew-before");
  options.issuer = vm["issuer"].as<std::string>();
  if (options.ttl.count() > 0 && options.renew_before >= options.ttl) {
    throw UsageError("--renew-before must be shorter than --ttl, or every run would mint a new token");
  }
  return options;
}

void add_rotate_options(po::options_description& o) {
  o.add_options()
      ("rotation-id", po::value<std::string>()->value_name("ID"),
       "identity of this rotation; a rerun with the same id finishes it instead of rotating again "
       "(default: $ROTATOR_ROTATION_ID, else a fresh id)")
      ("restart", po::value<std::string>()->default_value("rollout")->value_name("MODE"), "rollout, delete-pods or none")
      ("target", po::value<std::string>()->default_value("deployment/token-management")->value_name("KIND/NAME"),
       "workload restarted by --restart rollout")
      ("selector", po::value<std::string>()->default_value("app=token-management")->value_name("LABELS"),
       "pods deleted by --restart delete-pods")
      ("wait-timeout", po::value<std::string>()->default_value("5m")->value_name("DURATION"), "how long to wait for the rollout")
      ("if-older-than", po::value<std::string>()->value_name("DURATION"), "rotate only when the key is older (for schedules)")
      ("fresh", po::bool_switch(), "generate a fresh key instead of promoting the staged one (incidents)")
      ("grace", po::value<std::string>()->default_value("1h")->value_name("DURATION"),
       "keep trusting the old public key this long after a scheduled rotation")
      ("keys-secret", po::value<std::string>()->default_value("rsa-keys")->value_name("NAME"), "Secret holding the signing keys")
      ("admin-token-secret", po::value<std::string>()->default_value("admin-token")->value_name("NAME"),
       "Secret holding the admin token file")
      ("ttl", po::value<std::string>()->default_value("0")->value_name("DURATION"), "lifetime of the new admin token; 0: no expiry")
      ("renew-before", po::value<std::string>()->default_value("0")->value_name("DURATION"), "as for create-admin-token")
      ("issuer", po::value<std::string>()->default_value("rotator")->value_name("ISS"), "iss claim of the new admin token");
}

steps::RotateOptions rotate_options(const po::variables_map& vm) {
  steps::RotateOptions options;
  options.keys_secret_name = vm["keys-secret"].as<std::string>();
  if (vm.count("rotation-id")) {
    options.rotation_id = vm["rotation-id"].as<std::string>();
  } else if (const char* env = std::getenv("ROTATOR_ROTATION_ID"); env && *env) {
    options.rotation_id = env;
  } else {
    options.rotation_id = crypto::uuid_v4();
  }
  options.restart.mode = steps::parse_restart_mode(vm["restart"].as<std::string>());
  options.restart.target = kube::parse_workload_ref(vm["target"].as<std::string>());
  options.restart.selector = vm["selector"].as<std::string>();
  options.restart.wait_timeout = duration_option(vm, "wait-timeout");
  if (vm.count("if-older-than")) options.if_older_than = duration_option(vm, "if-older-than");
  const bool fresh = vm["fresh"].as<bool>() || options.restart.mode == steps::RestartMode::delete_pods;
  options.kind = fresh ? steps::RotationKind::fresh : steps::RotationKind::scheduled;
  options.grace = duration_option(vm, "grace");
  options.admin = admin_token_options(vm, "admin-token-secret");
  options.admin.keys_secret_name = options.keys_secret_name;
  return options;
}

}  // namespace

const std::vector<StepSpec>& step_table() {
  static const std::vector<StepSpec> table = {
      {
          "key-gen",
          "key-gen [--secret rsa-keys] [--algorithm RS256] [--rsa-bits 2048|3072|4096] [--force]",
          "make sure the signing-key Secret holds a valid key pair (and a staged next key)",
          "Creates the Secret when it is absent. Leaves valid keys alone (no write). Fills gaps\n"
          "(a missing staged key or jwks.json, an expired retired key) without touching the\n"
          "current key. Refuses invalid data (bad PEM, mismatched pair, wrong kid) with exit 5\n"
          "unless --force, which replaces it in one preconditioned write.",
          "  rotator key-gen -n influxdb\n  rotator key-gen -n influxdb --rsa-bits 4096 --dry-run",
          add_key_options,
          [](const po::variables_map& vm) { key_gen_options(vm); },
          [](steps::StepContext& context, const po::variables_map& vm) {
            steps::run_key_gen(context, key_gen_options(vm));
          },
      },
      {
          "create-admin-token",
          "create-admin-token [--secret admin-token] [--keys-secret rsa-keys] [--ttl 0|DURATION] [--renew-before DURATION]",
          "make sure the admin-token Secret holds a token file signed by the current key",
          "Writes the token file influxctl reads ({\"access_token\": JWT, \"token_type\": \"Bearer\"}) when\n"
          "there is none, when it does not verify under the current key, or when it expires\n"
          "within --renew-before. Otherwise writes nothing.",
          "  rotator create-admin-token -n influxdb\n  rotator create-admin-token -n influxdb --ttl 720h --renew-before 168h",
          [](po::options_description& o) {
            add_admin_token_options(o, "secret");
            o.add_options()("force", po::bool_switch(), "replace an unreadable token file instead of refusing (exit 5)");
          },
          [](const po::variables_map& vm) { admin_token_options(vm, "secret"); },
          [](steps::StepContext& context, const po::variables_map& vm) {
            auto options = admin_token_options(vm, "secret");
            if (vm["force"].as<bool>()) options.force = steps::AdminTokenOptions::Force::yes;
            steps::run_create_admin_token(context, options);
          },
      },
      {
          "revoke-and-rotate",
          "revoke-and-rotate [--rotation-id ID] [--restart rollout|delete-pods|none] [--target deployment/token-management]\n"
          "                          [--selector app=token-management] [--wait-timeout 5m] [--if-older-than DURATION]\n"
          "                          [--fresh] [--grace DURATION]",
          "rotate the signing key, issue a new admin token, restart token-management",
          "Replaces the key in one preconditioned write (there is never a moment without a\n"
          "valid key), mints a new admin token, restarts the service, then stages a new next\n"
          "key. A scheduled rotation promotes the staged key and keeps trusting the old public\n"
          "key for --grace; --fresh or --restart delete-pods (incidents) generate a fresh key\n"
          "and trust the old one no longer. The rotation id is recorded on the Secret: a rerun\n"
          "with the same id finishes an interrupted rotation and never rotates twice.",
          "  rotator revoke-and-rotate -n influxdb                          # scheduled: promote, rollout\n"
          "  rotator revoke-and-rotate -n influxdb --restart delete-pods    # incident: fresh key, delete pods\n"
          "  rotator revoke-and-rotate -n influxdb --if-older-than 30d --rotation-id $JOB_UID",
          add_rotate_options,
          [](const po::variables_map& vm) { rotate_options(vm); },
          [](steps::StepContext& context, const po::variables_map& vm) {
            steps::run_rotate(context, rotate_options(vm));
          },
      },
  };
  return table;
}

const StepSpec* find_step(const std::string& name) {
  for (const auto& step : step_table()) {
    if (step.name == name) return &step;
  }
  return nullptr;
}

steps::StepContext make_step_context(kube::Client& client, const cli::GlobalOptions& globals) {
  steps::StepContext context{.client = client, .namespace_ = client.config().namespace_};
  context.mode = globals.dry_run == cli::GlobalOptions::DryRun::on ? steps::RunMode::dry_run : steps::RunMode::apply;
  context.lock_options.wait = globals.lock_wait;
  context.lock_options.duration = globals.lock_duration;
  return context;
}

void execute_step(const StepSpec& step, steps::StepContext& context, const po::variables_map& options) {
  step.execute(context, options);
}

cli::CommandSpec command_for_step(const StepSpec& step) {
  return {
      .name = step.name,
      .synopsis = step.synopsis,
      .summary = step.summary,
      .details = step.details,
      .examples = step.examples,
      .add_options =
          [&step](po::options_description& options) {
            step.add_options(options);
            add_namespace_selection_options(options);
          },
      .max_positionals = 0,
      .run =
          [&step](const cli::Invocation& invocation) {
            step.validate(invocation.options);
            const auto selection = namespace_selection_from(invocation.options, invocation.globals);
            auto client = connect(invocation.globals);
            if (selection) {
              const ExitCode code = run_in_namespaces(*client, invocation.globals, *selection,
                                                      [&](steps::StepContext& context) {
                                                        execute_step(step, context, invocation.options);
                                                      });
              report_stats(invocation.globals, *client);
              return code;
            }
            auto context = make_step_context(*client, invocation.globals);
            execute_step(step, context, invocation.options);
            report_stats(invocation.globals, *client);
            return ExitCode::success;
          },
  };
}

}  // namespace rotator::commands
