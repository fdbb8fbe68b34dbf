package gitops

import (
	"fmt"
	"slices"
	"strings"
)

// LineRange is a 1-based inclusive range of lines; Last < First means "between
// line First-1 and First" (a deletion).
type LineRange struct{ First, Last int }

func (r LineRange) String() string {
	switch {
	case r.Last < r.First:
		return fmt.Sprintf("near line %d", r.First)
	case r.Last == r.First:
		return fmt.Sprintf("line %d", r.First)
	}
	return fmt.Sprintf("lines %d-%d", r.First, r.Last)
}

// transfer applies the change from anc to theirs onto ours, the way a careful
// patch would: each changed region of theirs must meet lines that ours left as
// they were in anc. Where ours changed the same lines (or inserted at the same
// spot) the result is a conflict, reported in ours' line numbers, and no result
// is returned. A region that ours already changed identically is taken as
// applied, which makes replaying a decision after a crash harmless.
func transfer(anc, ours, theirs []string) ([]string, []LineRange) {
	return merge3(anc, ours, theirs, false, false)
}

// transferExact is transfer where a region ours already changed identically
// is a conflict too: for taking a decision back (undo.go), where lines a later
// decision changed the same way belong to that later decision.
func transferExact(anc, ours, theirs []string) ([]string, []LineRange) {
	return merge3(anc, ours, theirs, false, true)
}

// transferKeep is transfer that skips the conflicting regions of theirs instead
// of failing, keeping ours there.
func transferKeep(anc, ours, theirs []string) []string {
	out, _ := merge3(anc, ours, theirs, true, false)
	return out
}

func merge3(anc, ours, theirs []string, keep, exact bool) ([]string, []LineRange) {
	if slices.Equal(anc, theirs) {
		return ours, nil
	}
	if slices.Equal(anc, ours) {
		return theirs, nil
	}
	dt := diffRegions(anc, theirs)
	do := diffRegions(anc, ours)
	type change struct {
		a0, a1 int
		lines  []string
	}
	changes := make([]change, 0, len(dt)+len(do))
	for _, o := range do {
		changes = append(changes, change{o.A0, o.A1, ours[o.B0:o.B1]})
	}
	var conflicts []LineRange
	j := 0
	for _, t := range dt {
		for j < len(do) && do[j].A1 < t.A0 {
			j++
		}
		dup, bad := false, false
		for k := j; k < len(do) && do[k].A0 <= t.A1; k++ {
			o := do[k]
			if !exact && o.A0 == t.A0 && o.A1 == t.A1 && slices.Equal(ours[o.B0:o.B1], theirs[t.B0:t.B1]) {
				dup = true
				continue
			}
			// Changes that only touch are unambiguous in ancestor
			// coordinates (an insertion at a region's start goes before
			// it, at its end after it), except two insertions at one spot.
			overlap := t.A0 < o.A1 && o.A0 < t.A1
			sameSpot := t.A0 == t.A1 && o.A0 == o.A1 && t.A0 == o.A0
			if overlap || sameSpot {
				bad = true
				conflicts = append(conflicts, LineRange{o.B0 + 1, o.B1})
			}
		}
		if !bad && !dup {
			changes = append(changes, change{t.A0, t.A1, theirs[t.B0:t.B1]})
		}
	}
	if len(conflicts) > 0 && !keep {
		return nil, mergeRanges(conflicts)
	}
	slices.SortStableFunc(changes, func(x, y change) int {
		if x.a0 != y.a0 {
			return x.a0 - y.a0
		}
		return (x.a1 - x.a0) - (y.a1 - y.a0) // a pure insertion goes first
	})
	out := make([]string, 0, max(0, len(ours)+len(theirs)-len(anc)))
	pos := 0
	for _, c := range changes {
		out = append(out, anc[pos:c.a0]...)
		out = append(out, c.lines...)
		pos = c.a1
	}
	return append(out, anc[pos:]...), nil
}

func mergeRanges(rs []LineRange) []LineRange {
	slices.SortFunc(rs, func(a, b LineRange) int { return a.First - b.First })
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 && r.First <= out[n-1].Last+1 {
			out[n-1].Last = max(out[n-1].Last, r.Last)
			continue
		}
		out = append(out, r)
	}
	return out
}

func rangesString(rs []LineRange) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	return strings.Join(parts, ", ")
}
