#include "cli/completion.h"

#include <algorithm>
#include <set>
#include <sstream>

namespace rotator::cli {
namespace {

/// What may follow a flag or stand as a positional.
struct ValueKind {
  /// contexts: one kubeconfig context name; context_list: several, comma-separated.
  enum class Kind { none, any, values, files, contexts, context_list } kind = Kind::none;
  std::vector<std::string> values;
};

struct FlagInfo {
  std::vector<std::string> spellings;  ///< "--namespace", "-n"
  ValueKind value;
};

struct CommandInfo {
  std::string name;  ///< "status", "management create"
  std::vector<FlagInfo> flags;
  ValueKind positional;
};

bool is_plain_word(const std::string& word) {
  return !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
}

// DURATION, NAME, FILE: a placeholder for a value, not a value.
bool is_placeholder(const std::string& word) {
  return word.size() > 1 &&
         std::all_of(word.begin(), word.end(), [](char c) { return (c >= 'A' && c <= 'Z') || c == '_'; });
}

bool are_values(const std::vector<std::string>& words) {
  return words.size() >= 2 && std::all_of(words.begin(), words.end(), is_plain_word) &&
         std::none_of(words.begin(), words.end(), is_placeholder);
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) parts.push_back(part);
  return parts;
}

// A value name such as "rollout|delete-pods|none" or "table|json" lists the only
// values; "FILE", "PATH" or "JOBFILE" asks for a file name; anything else is free.
ValueKind value_kind_of(std::string value_name) {
  if (const auto default_part = value_name.find(" (="); default_part != std::string::npos) {
    value_name.erase(default_part);
  }
  ValueKind kind;
  kind.kind = ValueKind::Kind::any;
  if (value_name.find('|') != std::string::npos) {
    const auto parts = split(value_name, '|');
    if (are_values(parts)) {
      kind.kind = ValueKind::Kind::values;
      kind.values = parts;
    }
  } else if (value_name.find("FILE") != std::string::npos || value_name.find("PATH") != std::string::npos) {
    kind.kind = ValueKind::Kind::files;
  }
  return kind;
}

// A description that is nothing but a list of values, "rollout, delete-pods or
// none" (the style of flags whose value name is a placeholder such as MODE).
std::vector<std::string> values_listed_in(const std::string& description) {
  const auto or_at = description.rfind(" or ");
  if (or_at == std::string::npos) return {};
  std::vector<std::string> values;
  for (auto word : split(description.substr(0, or_at), ',')) {
    while (word.starts_with(" ")) word.erase(0, 1);
    values.push_back(word);
  }
  values.push_back(description.substr(or_at + 4));
  if (!are_values(values)) return {};
  return values;
}

std::vector<FlagInfo> flags_of(const po::options_description& description) {
  std::vector<FlagInfo> flags;
  for (const auto& option : description.options()) {
    FlagInfo flag;
    if (!option->long_name().empty()) flag.spellings.push_back("--" + option->long_name());
    const std::string short_name = option->canonical_display_name(po::command_line_style::allow_dash_for_short);
    if (short_name.size() == 2 && short_name[0] == '-') flag.spellings.push_back(short_name);
    if (flag.spellings.empty()) continue;
    if (option->long_name() == "context") {
      // kubectl completes --context from the kubeconfig; so does rotator, and
      // --contexts one name after another.
      flag.value.kind = ValueKind::Kind::contexts;
    } else if (option->long_name() == "contexts") {
      flag.value.kind = ValueKind::Kind::context_list;
    } else if (option->semantic()->max_tokens() > 0) {
      flag.value = value_kind_of(option->semantic()->name());
      if (flag.value.kind == ValueKind::Kind::any) {
        if (auto listed = values_listed_in(option->description()); !listed.empty()) {
          flag.value = {ValueKind::Kind::values, std::move(listed)};
        }
      }
    }
    flags.push_back(std::move(flag));
  }
  return flags;
}

// The first positional of a synopsis ("run JOBFILE", "completion bash|zsh"): the
// first word after the command's name that is neither optional nor a flag.
ValueKind positional_of(const CommandSpec& command) {
  std::istringstream words(command.synopsis.substr(std::min(command.synopsis.size(), command.name.size())));
  std::string word;
  if (!(words >> word) || word.starts_with("[") || word.starts_with("-")) return {};
  return value_kind_of(word);
}

std::vector<CommandInfo> model_of(const std::vector<CommandSpec>& table) {
  std::vector<CommandInfo> commands;
  for (const auto& spec : table) {
    CommandInfo info;
    info.name = spec.name;
    if (spec.add_options) {
      po::options_description own;
      spec.add_options(own);
      info.flags = flags_of(own);
    }
    info.positional = positional_of(spec);
    commands.push_back(std::move(info));
  }
  return commands;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::string kind_text(const ValueKind& kind) {
  switch (kind.kind) {
    case ValueKind::Kind::none: return "none";
    case ValueKind::Kind::any: return "any";
    case ValueKind::Kind::files: return "files";
    case ValueKind::Kind::values: return "values " + join(kind.values);
    case ValueKind::Kind::contexts: return "contexts";
    case ValueKind::Kind::context_list: return "context-list";
  }
  return "none";
}

std::vector<std::string> all_spellings(const std::vector<FlagInfo>& flags) {
  std::vector<std::string> words;
  for (const auto& flag : flags) words.insert(words.end(), flag.spellings.begin(), flag.spellings.end());
  return words;
}

// The shell functions: data generated from the table, then the fixed logic that
// walks COMP_WORDS to find the command and what the current word should be.
std::string bash_functions(const std::vector<CommandInfo>& commands, const std::vector<FlagInfo>& globals) {
  std::vector<std::string> top_words;
  std::vector<std::pair<std::string, std::vector<std::string>>> groups;
  for (const auto& command : commands) {
    const auto space = command.name.find(' ');
    const std::string first = command.name.substr(0, space);
    if (std::find(top_words.begin(), top_words.end(), first) == top_words.end()) top_words.push_back(first);
    if (space == std::string::npos) continue;
    auto group = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == first; });
    if (group == groups.end()) group = groups.insert(groups.end(), {first, {}});
    group->second.push_back(command.name.substr(space + 1));
  }
  top_words.push_back("help");

  std::ostringstream s;
  s << "__rotator_top_words() { printf '%s' '" << join(top_words) << "'; }\n\n";

  s << "__rotator_subcommands() {\n  case \"$1\" in\n";
  for (const auto& [group, subs] : groups) s << "    " << group << ") printf '%s' '" << join(subs) << "' ;;\n";
  s << "  esac\n}\n\n";

  const std::string global_words = join(all_spellings(globals));
  s << "__rotator_flags() {\n  case \"$1\" in\n";
  for (const auto& command : commands) {
    if (command.flags.empty()) continue;
    s << "    '" << command.name << "') printf '%s' '" << join(all_spellings(command.flags)) << " " << global_words
      << "' ;;\n";
  }
  s << "    *) printf '%s' '" << global_words << "' ;;\n  esac\n}\n\n";

  s << "# Prints none (a switch), any, files, or \"values A B ...\".\n";
  s << "__rotator_value_kind() {\n  case \"$1|$2\" in\n";
  for (const auto& command : commands) {
    for (const auto& flag : command.flags) {
      for (const auto& spelling : flag.spellings) {
        s << "    '" << command.name << "|" << spelling << "') printf '%s' '" << kind_text(flag.value) << "' ;;\n";
      }
    }
  }
  for (const auto& flag : globals) {
    for (const auto& spelling : flag.spellings) {
      s << "    *'|" << spelling << "') printf '%s' '" << kind_text(flag.value) << "' ;;\n";
    }
  }
  s << "    *) printf '%s' none ;;\n  esac\n}\n\n";

  s << "__rotator_positional() {\n  case \"$1\" in\n";
  for (const auto& command : commands) {
    if (command.positional.kind == ValueKind::Kind::none) continue;
    s << "    '" << command.name << "') printf '%s' '" << kind_text(command.positional) << "' ;;\n";
  }
  s << "    *) printf '%s' none ;;\n  esac\n}\n";

  s << R"BASH(
# The kubeconfig's context names, as the program being completed lists them
# (`rotator completion contexts`), from the last --kubeconfig on the line, else
# $KUBECONFIG or ~/.kube/config as kubectl would read.
__rotator_contexts() {
  local i=1 kubeconfig=()
  while ((i < ${#COMP_WORDS[@]})); do
    case "${COMP_WORDS[i]}" in
      --kubeconfig=?*) kubeconfig=(--kubeconfig "${COMP_WORDS[i]#--kubeconfig=}") ;;
      --kubeconfig)
        if [[ ${COMP_WORDS[i+1]} == "=" ]]; then ((i += 1)); fi
        kubeconfig=(--kubeconfig "${COMP_WORDS[i+1]}")
        ;;
    esac
    ((i += 1))
  done
  if ((${#kubeconfig[@]})) && [[ ${kubeconfig[1]} == "~" || ${kubeconfig[1]} == "~/"* ]]; then
    kubeconfig[1]="$HOME${kubeconfig[1]#\~}"
  fi
  "${COMP_WORDS[0]}" completion contexts "${kubeconfig[@]}" 2>/dev/null
}

__rotator_reply() {  # $1: a value kind, $2: the word being completed
  local IFS=$' \t\n'
  case "$1" in
    values\ *) COMPREPLY=($(compgen -W "${1#values }" -- "$2")) ;;
    # Context names come from a kubeconfig, which people hand around: they are
    # matched as plain text, never given to compgen -W, which would expand
    # $(...) or backquotes in them.
    contexts)
      local name
      while IFS= read -r name; do
        [[ -n $name && $name == "$2"* ]] && COMPREPLY+=("$name")
      done < <(__rotator_contexts)
      ;;
    context-list)
      # "east,we" completes the name after the last comma, keeps what is before
      # it, and leaves out the names already listed.
      local listed="" last="$2" name
      if [[ $2 == *,* ]]; then
        listed="${2%,*},"
        last="${2##*,}"
      fi
      while IFS= read -r name; do
        [[ -z $name || ",$listed" == *",$name,"* ]] && continue
        [[ $name == "$last"* ]] && COMPREPLY+=("$listed$name")
      done < <(__rotator_contexts)
      type compopt >/dev/null 2>&1 && compopt -o nospace 2>/dev/null
      ;;
    files)
      COMPREPLY=($(compgen -f -- "$2"))
      type compopt >/dev/null 2>&1 && compopt -o filenames 2>/dev/null
      ;;
    *) COMPREPLY=() ;;
  esac
}

__rotator_complete() {
  local IFS=$' \t\n'
  local cur="${COMP_WORDS[COMP_CWORD]}" prev="" command="" word kind subs i=1
  ((COMP_CWORD > 0)) && prev="${COMP_WORDS[COMP_CWORD-1]}"
  COMPREPLY=()

  # The command so far: the first plain word, and its subcommand for a group;
  # flags are skipped with their values ("--output json", "--output=json", which
  # bash splits at "=" into three words).
  while ((i < COMP_CWORD)); do
    word="${COMP_WORDS[i]}"
    if [[ $word == -* ]]; then
      kind=$(__rotator_value_kind "$command" "$word")
      if [[ $kind != none && $word != *=* ]]; then
        if [[ ${COMP_WORDS[i+1]} == "=" ]]; then ((i += 2)); else ((i += 1)); fi
        # A value bash split at ':' (an EKS context's ARN): its other parts too.
        while ((i + 2 < COMP_CWORD)) && [[ ${COMP_WORDS[i+1]} == ":" ]]; do ((i += 2)); done
      fi
    elif [[ -z $command ]]; then
      command=$word
    elif [[ $command != *" "* ]]; then
      subs=$(__rotator_subcommands "$command")
      [[ -n $subs && " $subs " == *" $word "* ]] && command="$command $word"
    fi
    ((i += 1))
  done

  # bash splits words at ':' too, and context names may hold it (EKS names
  # are ARNs): "--context arn:aws:e" arrives as --context arn : aws : e. Join the
  # parts back into the word being completed; the candidates then lose the part
  # up to the last ':', which bash keeps on the line.
  local colon_part="" k=COMP_CWORD
  while ((k > 2)) && [[ ${COMP_WORDS[k]} == ":" || ${COMP_WORDS[k-1]} == ":" ]]; do ((k -= 1)); done
  if ((k < COMP_CWORD)) && [[ ${COMP_WORDS[k-1]} == --context || ${COMP_WORDS[k-1]} == --contexts ||
    ${COMP_WORDS[k-1]} == "=" ]]; then
    prev="${COMP_WORDS[k-1]}"
    cur=""
    for ((; k <= COMP_CWORD; k++)); do cur+="${COMP_WORDS[k]}"; done
    colon_part="${cur%:*}:"
  fi

  # A flag's value: "--flag VALUE", "--flag=VALUE" (words: --flag = VALUE) or "--flag=".
  local flag=""
  if [[ $cur == "=" && $prev == -* ]]; then
    flag=$prev
    cur=""
  elif [[ $prev == "=" ]] && ((COMP_CWORD >= 2)); then
    # the word before "=" (before the joined parts of a value, if any)
    k=$((COMP_CWORD - 1))
    while ((k > 1)) && [[ ${COMP_WORDS[k]} != "=" ]]; do ((k -= 1)); done
    [[ ${COMP_WORDS[k-1]} == -* ]] && flag="${COMP_WORDS[k-1]}"
  elif [[ $prev == -* && $prev != *=* ]]; then
    flag=$prev
  fi
  if [[ -n $flag ]]; then
    kind=$(__rotator_value_kind "$command" "$flag")
    if [[ $kind != none ]]; then
      __rotator_reply "$kind" "$cur"
      if [[ -n $colon_part ]]; then
        for k in "${!COMPREPLY[@]}"; do COMPREPLY[k]="${COMPREPLY[k]#"$colon_part"}"; done
      fi
      return 0
    fi
  fi

  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(__rotator_flags "$command")" -- "$cur"))
  elif [[ -z $command || $command == help ]]; then
    COMPREPLY=($(compgen -W "$(__rotator_top_words)" -- "$cur"))
  elif subs=$(__rotator_subcommands "$command") && [[ -n $subs ]]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
  else
    kind=$(__rotator_positional "$command")
    if [[ $kind == none ]]; then
      COMPREPLY=($(compgen -W "$(__rotator_flags "$command")" -- "$cur"))
    else
      __rotator_reply "$kind" "$cur"
    fi
  fi
  return 0
}
)BASH";
  return s.str();
}

}  // namespace

std::string completion_script(Shell shell, const std::vector<CommandSpec>& table,
                              const po::options_description& global_options) {
  const auto commands = model_of(table);
  const auto globals = flags_of(global_options);
  std::string script;
  if (shell == Shell::bash) {
    script =
        "# bash completion for rotator and kubectl-rotator, generated by `rotator completion bash`.\n"
        "# Load it with: source <(rotator completion bash)\n"
        "# or save it as /etc/bash_completion.d/rotator.\n\n";
  } else {
    // zsh runs bash completion functions through bashcompinit, which provides
    // complete and compgen; the functions below use only what it emulates.
    script =
        "#compdef rotator kubectl-rotator\n"
        "# zsh completion for rotator and kubectl-rotator, generated by `rotator completion zsh`.\n"
        "# Load it with: source <(rotator completion zsh)   (after compinit)\n\n"
        "autoload -U +X bashcompinit && bashcompinit\n\n";
  }
  script += bash_functions(commands, globals);
  script += "\ncomplete -F __rotator_complete rotator kubectl-rotator\n";
  return script;
}

}  // namespace rotator::cli
