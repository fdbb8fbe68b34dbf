package repo

import (
	"path"
	"strings"
)

// byExt maps a lower-case extension (with the dot) to a language name. Only
// extensions that say something about the project are listed: data and binary
// formats count as no language.
var byExt = map[string]string{
	".go": "Go", ".rs": "Rust", ".py": "Python", ".pyi": "Python", ".rb": "Ruby",
	".rake": "Ruby", ".js": "JavaScript", ".mjs": "JavaScript", ".cjs": "JavaScript",
	".jsx": "JavaScript", ".ts": "TypeScript", ".tsx": "TypeScript", ".mts": "TypeScript",
	".vue": "Vue", ".svelte": "Svelte", ".java": "Java", ".kt": "Kotlin", ".kts": "Kotlin",
	".scala": "Scala", ".groovy": "Groovy", ".gradle": "Groovy", ".c": "C", ".h": "C",
	".cc": "C++", ".cpp": "C++", ".cxx": "C++", ".hpp": "C++", ".hh": "C++",
	".m": "Objective-C", ".mm": "Objective-C", ".swift": "Swift", ".cs": "C#",
	".fs": "F#", ".php": "PHP", ".pl": "Perl", ".pm": "Perl", ".lua": "Lua",
	".ex": "Elixir", ".exs": "Elixir", ".erl": "Erlang", ".hs": "Haskell",
	".ml": "OCaml", ".mli": "OCaml", ".clj": "Clojure", ".dart": "Dart", ".r": "R",
	".jl": "Julia", ".zig": "Zig", ".nim": "Nim", ".sh": "Shell", ".bash": "Shell",
	".zsh": "Shell", ".fish": "Shell", ".ps1": "PowerShell", ".sql": "SQL",
	".proto": "Protocol Buffers", ".graphql": "GraphQL", ".gql": "GraphQL",
	".html": "HTML", ".htm": "HTML", ".css": "CSS", ".scss": "SCSS", ".sass": "SCSS",
	".less": "Less", ".md": "Markdown", ".markdown": "Markdown", ".rst": "reStructuredText",
	".tf": "HCL", ".hcl": "HCL", ".nix": "Nix", ".yml": "YAML", ".yaml": "YAML",
	".toml": "TOML", ".json": "JSON", ".xml": "XML", ".erb": "Ruby", ".haml": "Haml",
	".tex": "TeX", ".cmake": "CMake", ".dockerfile": "Dockerfile", ".v": "V",
	".sol": "Solidity", ".elm": "Elm", ".cr": "Crystal", ".d": "D", ".f90": "Fortran",
}

// byName maps exact file names that have no telling extension.
var byName = map[string]string{
	"Makefile": "Makefile", "GNUmakefile": "Makefile", "makefile": "Makefile",
	"Dockerfile": "Dockerfile", "Containerfile": "Dockerfile", "Rakefile": "Ruby",
	"Gemfile": "Ruby", "Jenkinsfile": "Groovy", "CMakeLists.txt": "CMake",
	"Justfile": "Just", "justfile": "Just", "BUILD": "Starlark", "BUILD.bazel": "Starlark",
	"WORKSPACE": "Starlark",
}

// Language names the language of a file from its name, or "" when unknown.
func Language(p string) string {
	base := path.Base(p)
	if l, ok := byName[base]; ok {
		return l
	}
	if strings.HasPrefix(base, "Dockerfile.") {
		return "Dockerfile"
	}
	ext := strings.ToLower(path.Ext(base))
	if ext == "" {
		return ""
	}
	return byExt[ext]
}
