package cli

import (
	"strings"
	"unicode"

	"github.com/spf13/cobra"
)

// A mistyped verb (`wend sesions`) would otherwise become a task and go to the
// model, spending a session on a word the user meant as a command. Only a word
// that is a near miss of a verb, standing alone or followed by the kind of
// arguments verbs take (hunk ids, paths, flags), is refused: natural-language
// tasks ("fix the login bug") start as before, and `wend -- WORD` always does.

// misspelledVerb returns the verb the task's first word is a near miss of, when
// the invocation looks like a verb's rather than a task's.
func misspelledVerb(root *cobra.Command, args []string) (string, bool) {
	words := strings.Fields(strings.Join(args, " "))
	if len(words) == 0 {
		return "", false
	}
	first := strings.ToLower(words[0])
	for _, w := range words[1:] {
		if !looksLikeVerbArg(w) {
			return "", false
		}
	}
	best, bestDist := "", -1
	for _, c := range root.Commands() {
		if c.Hidden {
			continue
		}
		for _, name := range append([]string{c.Name()}, c.Aliases...) {
			if name == first {
				return "", false // a verb cobra did not route: not a typo
			}
			d := editDistance(first, name)
			if d <= typoLimit(name) && (bestDist < 0 || d < bestDist) {
				best, bestDist = name, d
			}
		}
	}
	return best, best != ""
}

// typoLimit is how far a word may be from a verb to count as its typo: one
// edit ("rnu", "chnages", "sesions"), two only for long verbs, where two edits
// still leave most of the word ("sesssion"); "test" is two from "trust".
func typoLimit(verb string) int {
	if len([]rune(verb)) >= 7 {
		return 2
	}
	return 1
}

// looksLikeVerbArg reports words the verbs take rather than prose: flags, paths,
// hunk and session ids (anything with a digit, a slash or a dot), and "all".
func looksLikeVerbArg(w string) bool {
	if w == "all" || strings.HasPrefix(w, "-") || strings.ContainsAny(w, "/.") {
		return true
	}
	return strings.IndexFunc(w, unicode.IsDigit) >= 0
}

// editDistance is the optimal string alignment distance: insertions, deletions,
// substitutions and transpositions of neighbours ("chnages") cost one each.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// refuseMisspelledVerb is the root command's guard before it starts a task.
func refuseMisspelledVerb(cmd *cobra.Command, args []string) error {
	if cmd.ArgsLenAtDash() >= 0 {
		return nil // `wend -- WORD`: the user said it is a task
	}
	verb, ok := misspelledVerb(cmd.Root(), args)
	if !ok {
		return nil
	}
	word := strings.Fields(strings.Join(args, " "))[0]
	return usageErr("unknown command %q. Did you mean %q?\nRun 'wend %s --help' for its usage, or give %q to the agent as a task with: wend -- %s",
		word, verb, verb, strings.Join(args, " "), shellQuoteArgs(args))
}

// shellQuoteArgs renders args as a command line the user can paste.
func shellQuoteArgs(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`*?[]{}()<>|&;#~!") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}
