package repo

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// Symbols for the outline: when Universal Ctags is installed, the names the
// repository defines (functions, types, classes) that its files mention most.
// ctags finds definitions only, so mentions are counted here, as whole words, in
// a sample of source files. The work is bounded (symbolSample files, one search,
// symbolTimeout), so a 100,000-file repository costs about as much as a small one.
// symbolSample is how many source files are sampled, symbolTimeout how long the
// whole search may take (variables for tests and benchmarks). The outline waits
// for it once per session, before the first turn.
var (
	symbolSample  = 2000
	symbolTimeout = 10 * time.Second
)

const (
	maxSymbols    = 15
	symbolMaxFile = 256 << 10
	// A name defined in more files than this (main, init, String, setUp) says
	// nothing about this repository.
	symbolMaxDefs = 3
)

// Symbol is a name the repository defines and how often the sampled files
// mention it besides its definitions.
type Symbol struct {
	Name string
	Kind string // ctags' kind: func, class, struct, ...
	Path string // the first file defining it
	Refs int
}

// symbolKinds are the ctags kinds (long names, across languages) an outline
// lists; variables, fields, imports and packages are left out.
var symbolKinds = map[string]bool{
	"func": true, "function": true, "method": true, "class": true, "struct": true,
	"interface": true, "type": true, "typedef": true, "talias": true, "enum": true,
	"trait": true, "protocol": true, "union": true, "record": true, "macro": true,
}

// universalCtags returns the path of ctags when `ctags --version` says Universal
// Ctags (Exuberant Ctags and others take other flags), or "".
func universalCtags(ctx context.Context) string {
	p, err := exec.LookPath("ctags")
	if err != nil {
		return ""
	}
	out, err := exec.CommandContext(ctx, p, "--version").Output()
	if err != nil || !bytes.Contains(out, []byte("Universal Ctags")) {
		return ""
	}
	return p
}

// symbolFiles picks up to symbolSample source files spread evenly over the
// listing (the same ones each time for the same listing), and how many source
// files there were.
func symbolFiles(files []string) ([]string, int) {
	var src []string
	for _, f := range files {
		switch Language(f) {
		case "", "Markdown", "reStructuredText", "JSON", "YAML", "TOML", "XML", "HTML", "CSS",
			"SCSS", "Less", "TeX", "SQL":
		default:
			src = append(src, f)
		}
	}
	if len(src) <= symbolSample {
		return src, len(src)
	}
	out := make([]string, 0, symbolSample)
	for k := 0; k < symbolSample; k++ {
		out = append(out, src[k*len(src)/symbolSample])
	}
	return out, len(src)
}

// Symbols ranks the names the repository defines by how often a sample of its
// source files mentions them. It returns nil without Universal Ctags. A sample
// rarely holds the few files where the most used names are defined, so those are
// found by name: the most frequent words of the sample are searched for in
// definitions (func Name, class Name, def Name, ...) over the whole repository, and
// ctags reads the sample plus the files that search finds. When ctags runs out of
// time, the definitions it printed so far are used.
func (r *Repo) Symbols(ctx context.Context, files []string) (syms []Symbol, sampled, sources int) {
	ctags := universalCtags(ctx)
	if ctags == "" {
		return nil, 0, 0
	}
	sample, sources := symbolFiles(files)
	// Only regular files: ctags and the count would follow a symlink out of the tree.
	sample = slices.DeleteFunc(sample, func(f string) bool {
		fi, err := os.Lstat(filepath.Join(r.root, filepath.FromSlash(f)))
		return err != nil || !fi.Mode().IsRegular()
	})
	if len(sample) == 0 {
		return nil, 0, sources
	}
	ctx, cancel := context.WithTimeout(ctx, symbolTimeout)
	defer cancel()
	counts := countWords(r.root, sample)
	defs := map[string]*symbolDef{}
	runCtags(ctx, ctags, r.root, sample, defs)
	// The sample's frequent words it does not define: where are they defined?
	var missing []string
	for _, w := range frequentWords(counts, 4*symbolCandidates) {
		if defs[w] == nil && len(missing) < symbolCandidates {
			missing = append(missing, w)
		}
	}
	var extra []string
	for _, f := range r.definingFiles(ctx, missing) {
		if !slices.Contains(sample, f) {
			extra = append(extra, f)
		}
	}
	runCtags(ctx, ctags, r.root, extra, defs)
	return rankSymbols(defs, counts, sample), len(sample), sources
}

// runCtags adds the definitions ctags finds in files to defs. When ctags fails
// or runs out of time, what it printed so far is kept.
func runCtags(ctx context.Context, ctags, root string, files []string, defs map[string]*symbolDef) {
	if len(files) == 0 {
		return
	}
	cmd := exec.CommandContext(ctx, ctags, "-f", "-", "--sort=no", "--fields=K", "--excmd=number", "-L", "-")
	cmd.Dir = root
	cmd.Stdin = strings.NewReader(strings.Join(files, "\n") + "\n")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return
	}
	if err := cmd.Start(); err != nil {
		return
	}
	in := make(map[string]bool, len(files))
	for _, f := range files {
		in[f] = true
	}
	parseTags(stdout, in, defs)
	cmd.Wait()
}

// symbolCandidates is how many of the sample's most frequent words are looked
// up as definitions across the repository.
const symbolCandidates = 60

// definingFiles returns the files (from the first 1,000 matching lines) where one
// of names follows a definition keyword of a common language.
func (r *Repo) definingFiles(ctx context.Context, names []string) []string {
	if len(names) == 0 {
		return nil
	}
	pat := `\b(?:func|type|class|struct|interface|def|fn|trait|enum|protocol|record|union|module)\s+(?:\([^)]*\)\s*)?(?:` +
		strings.Join(names, "|") + `)\b`
	res, err := r.Grep(ctx, GrepOptions{Pattern: pat, MaxMatches: 1000, MaxLineLen: 10})
	if err != nil {
		return nil
	}
	var out []string
	for _, m := range res.Matches {
		if len(out) == 0 || out[len(out)-1] != m.Path {
			out = append(out, m.Path)
		}
	}
	return out
}

// countWords counts identifier-like words (3 to 64 bytes) in files.
func countWords(root string, files []string) map[string]int {
	counts := map[string]*int{} // a lookup by converted bytes allocates nothing
	for _, f := range files {
		data, err := readCapped(filepath.Join(root, filepath.FromSlash(f)), symbolMaxFile)
		if err != nil || IsBinary(data) {
			continue
		}
		for i := 0; i < len(data); {
			if !isIdentByte(data[i]) {
				i++
				continue
			}
			j := i
			for j < len(data) && isIdentByte(data[j]) {
				j++
			}
			if j-i >= 3 && j-i <= 64 && !(data[i] >= '0' && data[i] <= '9') {
				n := counts[string(data[i:j])]
				if n == nil {
					n = new(int)
					counts[string(data[i:j])] = n
				}
				*n++
			}
			i = j
		}
	}
	out := make(map[string]int, len(counts))
	for w, n := range counts {
		out[w] = *n
	}
	return out
}

// frequentWords returns the n most counted words, ties by name.
func frequentWords(counts map[string]int, n int) []string {
	words := make([]string, 0, len(counts))
	for w := range counts {
		words = append(words, w)
	}
	sort.Slice(words, func(i, j int) bool {
		if counts[words[i]] != counts[words[j]] {
			return counts[words[i]] > counts[words[j]]
		}
		return words[i] < words[j]
	})
	return words[:min(n, len(words))]
}

// symbolDef is what ctags says about one name.
type symbolDef struct {
	kind, path string
	files      map[string]bool // the files defining it
}

// parseTags reads ctags' lines (name TAB file TAB line;" TAB kind) into defs,
// keeping the kinds an outline lists in the files asked about.
func parseTags(r io.Reader, inSample map[string]bool, defs map[string]*symbolDef) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 4 || !symbolKinds[f[3]] || !inSample[filepath.ToSlash(f[1])] || len(f[0]) < 3 || !isIdent(f[0]) {
			continue
		}
		d := defs[f[0]]
		if d == nil {
			d = &symbolDef{kind: f[3], path: filepath.ToSlash(f[1]), files: map[string]bool{}}
			defs[f[0]] = d
		}
		d.files[filepath.ToSlash(f[1])] = true
	}
}

func isIdent(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isIdentByte(s[i]) || (i == 0 && s[i] >= '0' && s[i] <= '9') {
			return false
		}
	}
	return s != ""
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// rankSymbols returns the defined names the sample mentions most (minus one
// mention per definition in the sample), at most maxSymbols, ties by name.
func rankSymbols(defs map[string]*symbolDef, counts map[string]int, sample []string) []Symbol {
	inSample := make(map[string]bool, len(sample))
	for _, f := range sample {
		inSample[f] = true
	}
	var out []Symbol
	for name, d := range defs {
		if len(d.files) > symbolMaxDefs {
			continue
		}
		refs := counts[name]
		for f := range d.files {
			if inSample[f] {
				refs--
			}
		}
		if refs >= 2 {
			out = append(out, Symbol{Name: name, Kind: d.kind, Path: d.path, Refs: refs})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Refs != out[j].Refs {
			return out[i].Refs > out[j].Refs
		}
		return out[i].Name < out[j].Name
	})
	if len(out) > maxSymbols {
		out = out[:maxSymbols]
	}
	return out
}

// readCapped reads at most n bytes of a file.
func readCapped(name string, n int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(io.LimitReader(f, n))
	return b.Bytes(), err
}
