package gittest

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// Large-repository generator: the shared input of the large-repo benchmarks and of
// the tests that compare wend's listing and search with git and ripgrep on it.

// The words the generated files contain, for searches with a known answer.
const (
	// LargeNeedle is in every 997th listed text file, in binary files (which a search
	// skips) and in ignored build output (which a search never sees).
	LargeNeedle = "NEEDLE_7f3a"
	// LargeRegex matches the handler declarations in every 50th listed source file
	// (and nowhere else in a listed text file).
	LargeRegex = `func Handle[A-Z][a-z]+Request\(`
)

// LargeSymbols are the symbols defined once (services/shared/types.go) and
// mentioned most across the generated files, most mentioned first.
var LargeSymbols = []string{"Logger", "NewLogger", "Request", "Writer"}

// LargeSpec shapes a generated repository. Listed is the number of files
// `git ls-files -co --exclude-standard` shows; the ignored build output comes on top.
type LargeSpec struct {
	Listed int
}

// LargeStats says what a generated repository holds, so tests can assert exact counts.
type LargeStats struct {
	Listed, Tracked, Untracked, Ignored int
	Binary, Big                         int
	// NeedleFiles is how many listed text files contain LargeNeedle (once each).
	NeedleFiles int
	// RegexFiles is how many listed text files contain one LargeRegex match.
	RegexFiles int
}

// exts cycles through languages in rough proportion to a polyglot monorepo.
var exts = []string{".go", ".go", ".go", ".ts", ".ts", ".py", ".py", ".rs", ".java", ".md", ".json", ".yaml", ".c", ".h", ".go", ".ts"}

// GenerateLarge fills dir with a repository shaped like a big monorepo: deep
// folders (up to 9 levels), mixed languages, a few multi-megabyte text files,
// binary files, untracked files, a committed history of one commit with a few
// files modified since, and ignored build output (build/, node_modules/, *.o, and a
// nested .gitignore) that must never appear in a listing or a search. Content is a
// pure function of the spec, so runs are comparable.
func GenerateLarge(t testing.TB, dir string, spec LargeSpec) LargeStats {
	t.Helper()
	n := spec.Listed
	if n < 100 {
		n = 100
	}
	Run(t, dir, "init", "-q", "-b", "main")
	var st LargeStats
	dirs := map[string]bool{}
	write := func(rel string, data []byte) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if d := filepath.Dir(p); !dirs[d] {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
			dirs[d] = true
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Root files: what the repository outline detects.
	root := map[string]string{
		".gitignore":     "build/\nnode_modules/\n*.o\n/dist\n",
		"go.mod":         "module example.com/mono\n\ngo 1.26\n",
		"package.json":   `{"name":"mono","scripts":{"build":"tsc -b","test":"vitest run","lint":"eslint ."}}` + "\n",
		"Makefile":       ".PHONY: build test\nbuild:\n\tgo build ./...\ntest:\n\tgo test ./...\n",
		"pyproject.toml": "[project]\nname = \"mono\"\n\n[tool.pytest.ini_options]\ntestpaths = [\"tests\"]\n",
		".gitlab-ci.yml": "stages: [build, test]\nbuild:\n  script: make build\nunit-tests:\n  script: make test\n",
		"README.md":      "# mono\n",
		// Shared declarations that many files mention: the symbols an outline
		// built with ctags ranks first (LargeSymbols).
		"services/shared/types.go": "package shared\n\n// Request is what every handler takes.\ntype Request struct{ Path string }\n\n" +
			"// Writer is where a handler answers.\ntype Writer interface{ Write(p []byte) (int, error) }\n\n" +
			"// NewLogger makes the logger every service uses.\nfunc NewLogger(name string) *Logger { return &Logger{name} }\n\n" +
			"// Logger logs.\ntype Logger struct{ name string }\n",
	}
	for name, body := range root {
		write(name, []byte(body))
	}
	fixed := len(root)
	// A nested .gitignore, honoured by git and ripgrep alike.
	write("services/svc00/.gitignore", []byte("*.generated.ts\n"))
	fixed++
	write("services/svc00/api.generated.ts", []byte("// "+LargeNeedle+" ignored by a nested .gitignore\n"))
	st.Ignored++

	untrackedEvery := 100 // 1% untracked
	var untracked []string
	for i := 0; i < n-fixed; i++ {
		rel, data, kind := largeFile(i)
		write(rel, data)
		switch kind {
		case kindBinary:
			st.Binary++
		case kindBig:
			st.Big++
		case kindNeedle:
			st.NeedleFiles++
		case kindRegex:
			st.RegexFiles++
		case kindBoth:
			st.NeedleFiles++
			st.RegexFiles++
		}
		if i%untrackedEvery == untrackedEvery-1 {
			untracked = append(untracked, rel)
		}
	}
	st.Listed = n
	st.Untracked = len(untracked)
	st.Tracked = n - st.Untracked
	// Ignored build output: a tenth of the listed size, full of the needle.
	for i := 0; i < n/10; i++ {
		var rel string
		switch i % 3 {
		case 0:
			rel = fmt.Sprintf("build/out/%03d/obj%05d.js", i/100, i)
		case 1:
			rel = fmt.Sprintf("web/node_modules/dep%03d/index%05d.js", i/50, i)
		default:
			rel = fmt.Sprintf("native/obj/unit%05d.o", i)
		}
		write(rel, []byte("// "+LargeNeedle+" build output\nfunc HandleBuildRequest(\n"))
		st.Ignored++
	}
	// Commit everything but the untracked files, then modify a few tracked ones.
	Run(t, dir, "add", "-A")
	if len(untracked) > 0 {
		rmCached(t, dir, untracked)
	}
	Run(t, dir, "commit", "-q", "-m", "generated monorepo")
	for i := 0; i < 20 && i < n-fixed; i++ {
		rel, _, kind := largeFile(i * 13)
		if kind != kindPlain || (i*13)%untrackedEvery == untrackedEvery-1 {
			continue
		}
		f, err := os.OpenFile(filepath.Join(dir, filepath.FromSlash(rel)), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(f, "\n// edited after the commit\n")
		f.Close()
	}
	return st
}

// rmCached drops paths from the index in batches (a 100k-repo has 1,000 of them).
func rmCached(t testing.TB, dir string, paths []string) {
	t.Helper()
	for len(paths) > 0 {
		k := min(len(paths), 500)
		Run(t, dir, append([]string{"rm", "-q", "--cached", "--"}, paths[:k]...)...)
		paths = paths[k:]
	}
}

type fileKind int

const (
	kindPlain fileKind = iota
	kindNeedle
	kindRegex
	kindBoth
	kindBinary
	kindBig
)

// largeFile is the i-th generated file: its path, content and kind.
func largeFile(i int) (string, []byte, fileKind) {
	// Deep folders: services/svcNN/<layer>/<mod>/... with a depth that varies by i.
	svc := i / 2000
	layer := []string{"internal", "pkg", "cmd", "src", "lib", "tests"}[(i/97)%6]
	depth := 1 + (i/31)%5
	parts := []string{"services", fmt.Sprintf("svc%02d", svc), layer}
	for d := 0; d < depth; d++ {
		parts = append(parts, fmt.Sprintf("m%d", (i/(7+d*11))%9))
	}
	dir := path.Join(parts...)
	switch {
	case i%500 == 250:
		// Binary: a NUL in the first bytes, the needle after it.
		data := append([]byte{0x89, 'P', 'N', 'G', 0, 0, 0, 13}, []byte(LargeNeedle+" in a binary\n")...)
		return fmt.Sprintf("%s/image%06d.png", dir, i), data, kindBinary
	case i%20000 == 10000:
		// Big: a 2 MB text file (generated data), no needle.
		var b strings.Builder
		for b.Len() < 2<<20 {
			fmt.Fprintf(&b, "%d,row-%d,%x,some generated column text\n", b.Len(), i, b.Len()*2654435761)
		}
		return fmt.Sprintf("%s/data%06d.csv", dir, i), []byte(b.String()), kindBig
	}
	ext := exts[i%len(exts)]
	var b strings.Builder
	fmt.Fprintf(&b, "// file %d of a generated monorepo\n", i)
	lines := 10 + (i*7919)%60 // 10..69 lines, about 0.4 to 3 KB
	for l := 0; l < lines; l++ {
		fmt.Fprintf(&b, "func helper%d_%d(x int) int { return x*%d + %d } // handler request\n", i, l, l+1, i%97)
	}
	// Every file uses the shared logger; every fifth names Request, every
	// seventh Writer (and each handler, below, both).
	fmt.Fprintf(&b, "var log%d = shared.NewLogger(\"f%d\") // *shared.Logger\n", i, i)
	if i%5 == 0 {
		fmt.Fprintf(&b, "func serve%d(r *shared.Request) {}\n", i)
	}
	if i%7 == 0 {
		fmt.Fprintf(&b, "func answer%d(w shared.Writer) {}\n", i)
	}
	kind := kindPlain
	if i%997 == 3 {
		fmt.Fprintf(&b, "// %s: the literal the benchmarks search for\n", LargeNeedle)
		kind = kindNeedle
	}
	if i%50 == 7 {
		fmt.Fprintf(&b, "func Handle%sRequest(w Writer, r *Request) {}\n", []string{"User", "Order", "Cart", "Login"}[i%4])
		if kind == kindNeedle {
			kind = kindBoth
		} else {
			kind = kindRegex
		}
	}
	return fmt.Sprintf("%s/file%06d%s", dir, i, ext), []byte(b.String()), kind
}

// LargePaths returns the paths GenerateLarge would write for n listed files
// (without the root files), without touching the disk: the input of benchmarks
// that need a big file list but no repository.
func LargePaths(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i], _, _ = largeFile(i)
	}
	return out
}
