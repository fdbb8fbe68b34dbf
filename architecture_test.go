package main

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The package table in docs/architecture.md is the map a newcomer reads; this
// test keeps it true. Every package of ours must fall under a row of the table,
// and every import of ours it makes (tests excluded) must be one the row allows:
// its own subtree, a package the row names, or anything when the row says "all".

const module = "gitlab.com/wend/wend"

// tableRow is one line of the package table: the subtree it owns and what it
// may import. A name ending in "/..." allows a whole subtree.
type tableRow struct {
	pkg     string
	allowed []string
	all     bool
}

var backticked = regexp.MustCompile("`([^`]+)`")

func readPackageTable(t *testing.T) []tableRow {
	t.Helper()
	f, err := os.Open("docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []tableRow
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "| package | owns | may import") {
			in = true
			continue
		}
		if !in {
			continue
		}
		if !strings.HasPrefix(line, "|") {
			break
		}
		cells := strings.Split(line, "|")
		if len(cells) < 5 || strings.HasPrefix(cells[1], "---") {
			continue
		}
		name := backticked.FindStringSubmatch(cells[1])
		if name == nil || strings.HasSuffix(name[1], ".go") || strings.HasSuffix(name[1], "/") {
			continue // main.go and testdata/ are not packages of their own
		}
		r := tableRow{pkg: name[1]}
		may := strings.TrimSpace(cells[3])
		r.all = may == "all"
		for _, m := range backticked.FindAllStringSubmatch(may, -1) {
			r.allowed = append(r.allowed, m[1])
		}
		rows = append(rows, r)
	}
	if len(rows) < 10 {
		t.Fatalf("found only %d rows in the package table of docs/architecture.md; did its header change?", len(rows))
	}
	return rows
}

func under(pkg, root string) bool {
	return pkg == root || strings.HasPrefix(pkg, root+"/")
}

// rowFor is the most specific row owning pkg.
func rowFor(rows []tableRow, pkg string) *tableRow {
	var best *tableRow
	for i := range rows {
		if under(pkg, rows[i].pkg) && (best == nil || len(rows[i].pkg) > len(best.pkg)) {
			best = &rows[i]
		}
	}
	return best
}

func (r *tableRow) allows(imp string) bool {
	if r.all || under(imp, r.pkg) {
		return true
	}
	for _, a := range r.allowed {
		if root, ok := strings.CutSuffix(a, "/..."); ok {
			if under(imp, root) {
				return true
			}
		} else if imp == a {
			return true
		}
	}
	return false
}

func TestImportsFollowTheArchitectureTable(t *testing.T) {
	rows := readPackageTable(t)
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var problems []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg, ok := strings.CutPrefix(f[0], module+"/")
		if !ok {
			continue // the root package is main.go's row
		}
		row := rowFor(rows, pkg)
		if row == nil {
			problems = append(problems, pkg+": no row in docs/architecture.md's package table")
			continue
		}
		for _, imp := range f[1:] {
			ours, ok := strings.CutPrefix(imp, module+"/")
			if !ok {
				continue
			}
			if !row.allows(ours) {
				problems = append(problems, pkg+" imports "+ours+", which the row `"+row.pkg+"` does not allow")
			}
		}
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
}

// The checker itself must be able to fail: a made-up row and imports.
func TestImportTableRules(t *testing.T) {
	rows := []tableRow{
		{pkg: "ui", allowed: []string{"session", "internal/termtext"}},
		{pkg: "session"},
		{pkg: "session/agent", allowed: []string{"session", "context/..."}},
		{pkg: "cli", all: true},
	}
	cases := []struct {
		pkg, imp string
		ok       bool
	}{
		{"ui/plan", "ui/styles", true},
		{"ui/plan", "session", true},
		{"ui", "gitops", false},
		{"session", "session/agent", true}, // its own subtree
		{"session/agent", "context/repo", true},
		{"session/agent", "ui", false},
		{"cli/config", "gitops", true},
	}
	for _, c := range cases {
		if got := rowFor(rows, c.pkg).allows(c.imp); got != c.ok {
			t.Errorf("%s importing %s: allowed=%v, want %v", c.pkg, c.imp, got, c.ok)
		}
	}
	if rowFor(rows, "gitops") != nil {
		t.Error("a package without a row was given one")
	}
}
