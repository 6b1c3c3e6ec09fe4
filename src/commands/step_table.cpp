#include "commands/step_table.h"

#include <cstdlib>

#include "commands/commands.h"
#include "commands/session.h"
#include "crypto/algorithm.h"
#include "crypto/random.h"
#include "formats/key_form.h"
#include "formats/key_ring.h"
#include "formats/token_string.h"
#include "metrics/pushgateway_url.h"
#include "steps/admin_token.h"
#include "steps/key_gen.h"
#include "steps/rotate.h"
#include "steps/token_renewal.h"
#include "util/errors.h"
#include "util/time.h"

namespace rotator::commands {

std::shared_ptr<steps::KeySource> key_source() {
  static const auto source = std::make_shared<steps::KeySource>();
  return source;
}

namespace {

using cli::po::value;

std::chrono::milliseconds duration_option(const cli::po::variables_map& vm, const char* name) {
  const std::string text = vm[name].as<std::string>();
  const auto parsed = util::parse_duration(text);
  if (!parsed) {
    throw UsageError("--" + std::string(name) + " must be a duration such as 30d, 12h or 0 (at most 36500d), not \"" +
                     text + "\"");
  }
  return *parsed;
}

std::string name_option(const cli::po::variables_map& vm, const char* name) {
  const std::string text = vm[name].as<std::string>();
  if (text.empty()) throw UsageError("--" + std::string(name) + " must not be empty");
  return text;
}

constexpr const char* key_form_help =
    "PEM form of the private keys rotator generates: pkcs8 (BEGIN PRIVATE KEY) or pkcs1 (BEGIN RSA PRIVATE "
    "KEY, RS256 only). Default: the form of the current key in the Secret (kept across rotations), pkcs8 for a "
    "new Secret. A key found in the Secret is never re-encoded";

std::optional<crypto::PrivateKeyForm> key_form_option(const cli::po::variables_map& vm) {
  if (!vm.count("key-form")) return std::nullopt;
  return formats::parse_key_form_flag(vm["key-form"].as<std::string>());
}

void add_key_options(cli::po::options_description& o) {
  o.add_options()("secret", value<std::string>()->default_value("rsa-keys")->value_name("NAME"),
                  "Secret holding the signing keys")(
      "algorithm", value<std::string>()->default_value("RS256")->value_name("ALG"), "RS256, ES256 or EdDSA")(
      "rsa-bits", value<int>()->value_name("BITS"), "RSA modulus size for RS256: 2048 (default), 3072 or 4096")(
      "key-form", value<std::string>()->value_name("FORM"), key_form_help)(
      "repair", cli::po::bool_switch(),
      "rebuild public.pem, kid and jwks.json from a valid private.pem (keeps the key and every token)")(
      "force", cli::po::bool_switch(),
      "replace keys that cannot be read with new ones (every token they signed becomes invalid)");
}

steps::KeyGenOptions key_gen_options(const cli::po::variables_map& vm) {
  steps::KeyGenOptions options;
  options.secret_name = name_option(vm, "secret");
  const auto algorithm = crypto::algorithm_from_jose_name(vm["algorithm"].as<std::string>());
  if (!algorithm) throw UsageError("--algorithm must be RS256, ES256 or EdDSA");
  options.algorithm = *algorithm;
  if (vm.count("rsa-bits")) {
    const int bits = vm["rsa-bits"].as<int>();
    if (options.algorithm != crypto::Algorithm::rs256) throw UsageError("--rsa-bits applies to RS256 only");
    if (bits != 2048 && bits != 3072 && bits != 4096) throw UsageError("--rsa-bits must be 2048, 3072 or 4096");
    options.rsa_bits = bits;
  }
  options.key_form = key_form_option(vm);
  if (options.key_form) formats::check_key_form(*options.key_form, options.algorithm);
  options.force = vm["force"].as<bool>() ? steps::Force::yes : steps::Force::no;
  options.repair = vm["repair"].as<bool>() ? steps::Repair::yes : steps::Repair::no;
  if (options.force == steps::Force::yes && options.repair == steps::Repair::yes) {
    throw UsageError("--repair keeps the key and --force replaces it: give one of them");
  }
  return options;
}

void add_admin_token_options(cli::po::options_description& o, const char* secret_flag) {
  o.add_options()(secret_flag, value<std::string>()->default_value("admin-token")->value_name("NAME"),
                  "Secret holding the admin token file")(
      "keys-secret", value<std::string>()->default_value("rsa-keys")->value_name("NAME"),
      "Secret holding the signing keys")("ttl", value<std::string>()->default_value("0")->value_name("DURATION"),
                                         "lifetime of a new admin token; 0: no expiry")(
      "renew-before", value<std::string>()->default_value("0")->value_name("DURATION"),
      "replace the token when it expires within this long")(
      "issuer", value<std::string>()->default_value("rotator")->value_name("ISS"), "iss claim of new tokens");
}

steps::AdminTokenOptions admin_token_options(const cli::po::variables_map& vm, const char* secret_flag) {
  steps::AdminTokenOptions options;
  options.secret_name = name_option(vm, secret_flag);
  options.keys_secret_name = name_option(vm, "keys-secret");
  options.ttl = duration_option(vm, "ttl");
  options.renew_before = duration_option(vm, "renew-before");
  options.issuer = vm["issuer"].as<std::string>();
  if (options.ttl.count() > 0 && options.renew_before >= options.ttl) {
    throw UsageError("--renew-before must be shorter than --ttl, or every run would mint a new token");
  }
  return options;
}

void add_rotate_options(cli::po::options_description& o) {
  o.add_options()(
      "rotation-id", value<std::string>()->value_name("ID"),
      "identity of this rotation; a rerun with the same id finishes it instead of rotating again "
      "(default: $ROTATOR_ROTATION_ID; without either, an unfinished rotation is resumed, else a new one starts)")(
      "restart", value<std::string>()->default_value("rollout")->value_name("MODE"), "rollout, delete-pods or none")(
      "target", value<std::string>()->default_value("deployment/token-management")->value_name("KIND/NAME"),
      "the workload restarted by --restart rollout (and waited for by delete-pods)")(
      "selector", value<std::string>()->default_value("app=token-management")->value_name("LABELS"),
      "pods deleted by --restart delete-pods")("wait-timeout",
                                               value<std::string>()->default_value("5m")->value_name("DURATION"),
                                               "how long to wait for the rollout or the replacement pods")(
      "if-older-than", value<std::string>()->value_name("DURATION"),
      "rotate only when the key is older (for schedules)")(
      "fresh", cli::po::bool_switch(), "incident: generate a fresh key instead of promoting the staged one")(
      "grace", value<std::string>()->default_value("1h")->value_name("DURATION"),
      "keep trusting the old public key this long after a scheduled rotation")(
      "key-form", value<std::string>()->value_name("FORM"), key_form_help)(
      "keys-secret", value<std::string>()->default_value("rsa-keys")->value_name("NAME"),
      "Secret holding the signing keys")(
      "admin-token-secret", value<std::string>()->default_value("admin-token")->value_name("NAME"),
      "Secret holding the admin token file")("ttl", value<std::string>()->default_value("0")->value_name("DURATION"),
                                             "lifetime of the new admin token; 0: no expiry")(
      "renew-before", value<std::string>()->default_value("0")->value_name("DURATION"), "as for create-admin-token")(
      "issuer", value<std::string>()->default_value("rotator")->value_name("ISS"), "iss claim of the new admin token");
}

steps::RotateOptions rotate_options(const cli::po::variables_map& vm) {
  steps::RotateOptions options;
  options.keys_secret_name = name_option(vm, "keys-secret");
  if (vm.count("rotation-id")) {
    options.rotation_id = vm["rotation-id"].as<std::string>();
  } else if (const char* env = std::getenv("ROTATOR_ROTATION_ID"); env && *env) {
    options.rotation_id = env;
  }
  if (options.rotation_id && !formats::valid_rotation_id(*options.rotation_id)) {
    throw UsageError("--rotation-id \"" + *options.rotation_id + "\" must be 1-128 letters, digits, '-', '_' or '.'");
  }
  options.new_rotation_id = crypto::uuid_v4();
  options.restart.mode = steps::parse_restart_mode(vm["restart"].as<std::string>());
  options.restart.target = kube::parse_workload_ref(vm["target"].as<std::string>());
  options.restart.selector = name_option(vm, "selector");
  options.restart.wait_timeout = duration_option(vm, "wait-timeout");
  if (vm.count("if-older-than")) options.if_older_than = duration_option(vm, "if-older-than");
  const bool incident = vm["fresh"].as<bool>() || options.restart.mode == steps::RestartMode::delete_pods;
  options.kind = incident ? formats::RotationKind::incident : formats::RotationKind::scheduled;
  options.grace = duration_option(vm, "grace");
  options.key_form = key_form_option(vm);
  if (incident && !vm["grace"].defaulted() && options.grace.count() > 0) {
    throw UsageError(
        "--grace applies to scheduled rotations: an incident rotation (--fresh or --restart delete-pods) "
        "trusts the old key no longer");
  }
  options.admin = admin_token_options(vm, "admin-token-secret");
  options.admin.keys_secret_name = options.keys_secret_name;
  return options;
}

void add_renewal_options(cli::po::options_description& options) {
  options.add_options()("secret", value<std::string>()->value_name("NAME"), "Secret the automation mounts (required)")(
      "key", value<std::string>()->default_value("mgmt_token")->value_name("KEY"), "data key of the token")(
      "ttl", value<std::string>()->default_value("24h")->value_name("DURATION"), "lifetime of a new token")(
      "renew-before", value<std::string>()->default_value("8h")->value_name("DURATION"),
      "renew when the token expires within this")("grace",
                                                  value<std::string>()->default_value("1h")->value_name("DURATION"),
                                                  "keep the replaced token valid this long")(
      "force", cli::po::bool_switch(), "replace data under KEY that is not a management token")(
      "registry-secret",
      value<std::string>()
          ->default_value(std::string(formats::default_registry_secret(formats::TokenKind::management)))
          ->value_name("NAME"),
      "Secret holding the token registry");
}

std::shared_ptr<const frame::Step> bind_renewal(const cli::po::variables_map& vm) {
  if (!vm.count("secret")) throw UsageError("--secret NAME is required");
  steps::RenewalSettings settings;
  settings.ttl = duration_option(vm, "ttl");
  settings.renew_before = duration_option(vm, "renew-before");
  settings.grace = duration_option(vm, "grace");
  steps::RenewalTarget target;
  target.secret_name = name_option(vm, "secret");
  target.key = name_option(vm, "key");
  target.registry = {name_option(vm, "registry-secret"), formats::TokenKind::management,
                     vm["force"].as<bool>() ? steps::Force::yes : steps::Force::no};
  return std::make_shared<steps::RenewalStep>(target, settings);
}

}  // namespace

const std::vector<StepKind>& step_table() {
  static const std::vector<StepKind> table = {
      {
          "key-gen",
          "key-gen [--secret rsa-keys] [--algorithm RS256] [--rsa-bits 2048|3072|4096] [--key-form pkcs8|pkcs1]"
          " [--repair | --force]",
          "make sure the signing-key Secret holds a valid key pair (and a staged next key)",
          "Creates the Secret when it is absent (or fills it when the install created it\n"
          "empty). Leaves valid keys alone (no write). Fills gaps (a missing staged key or\n"
          "jwks.json, a retired key past its promised time) without touching the current\n"
          "key. Refuses invalid data with exit 5: --repair rebuilds public.pem, kid and\n"
          "jwks.json from a valid private.pem; --force replaces unreadable keys with new\n"
          "ones in one preconditioned write (every token they signed becomes invalid).\n"
          "An existing installation's Secret with only private.pem and public.pem (PKCS#1\n"
          "or PKCS#8) is completed with kid, jwks.json and a staged key in the same form;\n"
          "its private.pem and public.pem are kept byte for byte.",
          "  rotator key-gen -n influxdb\n  rotator key-gen -n influxdb --rsa-bits 4096 --dry-run\n"
          "  rotator key-gen -n influxdb --key-form pkcs1\n"
          "  rotator key-gen -n influxdb --repair",
          add_key_options,
          [](const cli::po::variables_map& vm) -> std::shared_ptr<const frame::Step> {
            return std::make_shared<steps::KeyGenStep>(key_gen_options(vm), key_source());
          },
      },
      {
          "create-admin-token",
          "create-admin-token [--secret admin-token] [--keys-secret rsa-keys] [--ttl 0|DURATION] [--renew-before "
          "DURATION]",
          "make sure the admin-token Secret holds a token file signed by the current key",
          "Writes the token file influxctl reads ({\"access_token\": JWT, \"token_type\": \"Bearer\"}) when\n"
          "there is none, when it does not verify under the current key, or when it expires\n"
          "within --renew-before. Otherwise writes nothing.",
          "  rotator create-admin-token -n influxdb\n  rotator create-admin-token -n influxdb --ttl 720h "
          "--renew-before 168h",
          [](cli::po::options_description& o) {
            add_admin_token_options(o, "secret");
            o.add_options()("force", cli::po::bool_switch(),
                            "replace an unreadable token file instead of refusing (exit 5)");
          },
          [](const cli::po::variables_map& vm) -> std::shared_ptr<const frame::Step> {
            auto options = admin_token_options(vm, "secret");
            if (vm["force"].as<bool>()) options.force = steps::Force::yes;
            return std::make_shared<steps::AdminTokenStep>(options);
          },
      },
      {
          "revoke-and-rotate",
          "revoke-and-rotate [--rotation-id ID] [--restart rollout|delete-pods|none] [--target "
          "deployment/token-management] "
          "[--selector app=token-management] [--wait-timeout 5m] [--if-older-than DURATION] [--fresh] [--grace "
          "DURATION] "
          "[--key-form pkcs8|pkcs1]",
          "rotate the signing key, issue a new admin token, restart token-management",
          "Replaces the key in one preconditioned write (there is never a moment without a\n"
          "valid key), mints a new admin token, restarts the service and waits for it, then\n"
          "stages a new next key. A scheduled rotation promotes the staged key and keeps\n"
          "trusting the old public key for --grace (earlier promises are kept too); --fresh\n"
          "or --restart delete-pods (incidents) generate a fresh key and trust no old key.\n"
          "Before the first write it checks the restart target and its rights. The rotation\n"
          "is recorded on the Secret until it finishes: a plain rerun (a new Job, the\n"
          "CronJob's next run, or by hand) resumes it and never rotates twice; only an\n"
          "incident rotation supersedes an unfinished scheduled one. The new key keeps the\n"
          "PEM form of the key it replaces unless --key-form says otherwise.",
          "  # scheduled: promote the staged key, rollout restart\n"
          "  rotator revoke-and-rotate -n influxdb\n"
          "  # incident: a fresh key, the old pods deleted at once\n"
          "  rotator revoke-and-rotate -n influxdb --restart delete-pods\n"
          "  rotator revoke-and-rotate -n influxdb --if-older-than 30d --rotation-id $JOB_UID\n"
          "  # incident across every cluster of the kubeconfig\n"
          "  rotator revoke-and-rotate --all-contexts -n influxdb --restart delete-pods",
          add_rotate_options,
          [](const cli::po::variables_map& vm) -> std::shared_ptr<const frame::Step> {
            return std::make_shared<steps::RotateStep>(rotate_options(vm), key_source());
          },
          [](const frame::Step& step) {
            const auto& rotate = dynamic_cast<const steps::RotateStep&>(step);
            return rotate.options().rotation_id.value_or(rotate.options().new_rotation_id);
          },
      },
      {
          "management renew",
          "management renew --secret NAME [--key mgmt_token] [--ttl 24h] [--renew-before 8h] [--grace 1h]",
          "keep a short-lived management token in a Secret for automation",
          "Makes sure Secret NAME holds, under KEY, a valid management token that does not\n"
          "expire within --renew-before. When it does (or is missing, revoked, unknown), creates\n"
          "a token valid for --ttl, writes it into the Secret (preconditioned), and revokes the\n"
          "replaced token once --grace has passed (on a later run, or this one with --grace 0).\n"
          "Idempotent and crash-safe: the new token is staged in the Secret before it is\n"
          "registered, so a killed run never leaves a live token nobody holds. Run it from a\n"
          "CronJob more often than --renew-before.",
          "  rotator management renew --secret influxdb-automation --ttl 24h --renew-before 8h --grace 1h",
          add_renewal_options,
          bind_renewal,
          {},
          false,
      },
  };
  return table;
}

const StepKind* find_step_kind(const std::string& name) {
  for (const auto& kind : step_table()) {
    if (kind.name == name) return &kind;
  }
  return nullptr;
}

cli::CommandSpec command_for_step(const StepKind& kind) {
  return {
      .name = kind.name,
      .synopsis = kind.synopsis,
      .summary = kind.summary,
      .details = kind.details,
      .examples = kind.examples,
      .add_options =
          [&kind](cli::po::options_description& options) {
            kind.add_options(options);
            add_namespace_selection_options(options);
            add_cluster_selection_options(options);
          },
      .max_positionals = 0,
      .run =
          [&kind](const cli::Invocation& invocation) {
            frame::Plan plan;
            plan.command = kind.name;
            plan.job = metrics::job_name_for_command(kind.name);
            plan.steps.push_back(kind.bind(invocation.options));
            if (kind.rotation_id) plan.rotation_id = kind.rotation_id(*plan.steps.front());
            const auto selection = namespace_selection_from(invocation.options, invocation.globals);
            plan.resume_command = [&invocation](const std::string& cluster, const std::string& ns) {
              return rerun_command(invocation, cluster, ns);
            };
            return execute_plan(invocation, plan, selection, contexts_from(invocation.options, invocation.globals));
          },
  };
}

}  // namespace rotator::commands
