package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"gitlab.com/wend/wend/cli/config"
	"gitlab.com/wend/wend/context/repo"
)

// trustOptions are what `wend trust` needs.
type trustOptions struct {
	verbIO
	dir    string // -C DIR; "" is the current directory
	store  string // the trust store, default config.TrustStorePath()
	revoke bool
	list   bool
}

func newTrustCmd(g *globals) *cobra.Command {
	var o trustOptions
	cmd := &cobra.Command{
		Use:   "trust",
		Short: "Let this repository's .wend.toml set everything (or, with --revoke, only its safe settings)",
		Long: `A repository's .wend.toml comes with every clone and pull, so wend does not take it
as your own word. Until you trust it, wend applies only the settings that can
neither send your keys elsewhere nor loosen approvals (model; a stricter approval,
plan_approval or max_turns), and warns about the rest:

  provider, base_url, gitlab_url, api_key_file, gitlab_token_file, keys,
  and an approval policy, plan_approval or max_turns looser than your own.

protected_paths comes only from your own config, trusted or not.

'wend trust' records, in ` + config.TrustStorePath() + ` (mode 0600),
that you trust the file's current content in this repository (by its real path
and a SHA-256 of the file). When the file changes (a pull, a branch switch, an
edit), the trust no longer holds and wend warns again until you review it and
run 'wend trust' once more. 'wend config' shows what applies and what is ignored.`,
		Example: `  wend trust              # trust this repository's .wend.toml as it is now
  wend trust --revoke     # back to its safe settings only
  wend trust --list       # every repository you trust`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.verbIO, o.dir, o.store = g.verbIO(), g.dir, config.TrustStorePath()
			return runTrust(cmd.Context(), &o)
		},
	}
	cmd.Flags().BoolVar(&o.revoke, "revoke", false, "forget the trust: only the safe settings of .wend.toml apply again")
	cmd.Flags().BoolVar(&o.list, "list", false, "list the repositories you trust")
	cmd.MarkFlagsMutuallyExclusive("revoke", "list")
	return cmd
}

// runTrust is `wend trust`: trust the repository's .wend.toml, revoke it, or list.
func runTrust(ctx context.Context, o *trustOptions) error {
	if o.list {
		return trustList(o)
	}
	dir := o.dir
	if dir == "" {
		dir = "."
	}
	r, err := repo.Open(ctx, dir)
	if errors.Is(err, repo.ErrNotRepo) {
		return usageErr("%s is not inside a git repository: run wend trust in the repository whose .wend.toml you trust (or pass -C DIR)", dir)
	}
	if err != nil {
		return err
	}
	if o.revoke {
		return trustRevoke(o, r.Root())
	}
	return trustAdd(o, r.Root())
}

func trustAdd(o *trustOptions, root string) error {
	t, err := config.TrustRepo(o.store, root)
	if err != nil {
		return &exitError{code: ExitFailed, err: err}
	}
	fmt.Fprintf(o.out, "Trusted %s (sha256 %s).\n", t.File, t.SHA256[:12])
	if len(t.Restricted) > 0 {
		fmt.Fprintln(o.out, "These settings now apply from it:")
		for _, kv := range t.Restricted {
			fmt.Fprintln(o.out, "  "+kv)
		}
	}
	fmt.Fprintln(o.out, "A change to the file needs 'wend trust' again; undo with 'wend trust --revoke'.")
	return nil
}

func trustRevoke(o *trustOptions, root string) error {
	removed, err := config.RevokeTrust(o.store, root)
	if err != nil {
		return &exitError{code: ExitFailed, err: err}
	}
	if !removed {
		fmt.Fprintf(o.out, "%s was not trusted; nothing to revoke.\n", root)
		return nil
	}
	fmt.Fprintf(o.out, "Trust revoked for %s: only the safe settings of its .wend.toml apply.\n", root)
	return nil
}

func trustList(o *trustOptions) error {
	roots, err := config.TrustedRepos(o.store)
	if err != nil {
		return &exitError{code: ExitFailed, err: err}
	}
	if len(roots) == 0 {
		fmt.Fprintln(o.out, "No trusted repositories.")
		return nil
	}
	for _, r := range roots {
		fmt.Fprintln(o.out, r)
	}
	return nil
}

// repoTrustLine says, for `wend config`, whether the repository's file is
// trusted and what to do about it; "" when the repository has none.
func repoTrustLine(rc config.RepoConfig) string {
	if rc.Path == "" {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "repository config %s: ", rc.Path)
	switch {
	case rc.TrustError != "":
		fmt.Fprintf(&b, "not trusted (the trust store could not be read: %s)", rc.TrustError)
	case rc.Trust == config.TrustTrusted:
		fmt.Fprintf(&b, "trusted since %s (revoke: wend trust --revoke)", rc.TrustedAt.Format("2006-01-02"))
		return b.String()
	case rc.Trust == config.TrustChanged:
		fmt.Fprintf(&b, "not trusted: changed since you trusted it on %s", rc.TrustedAt.Format("2006-01-02"))
	default:
		b.WriteString("not trusted")
	}
	if len(rc.Ignored) > 0 {
		b.WriteString("; the settings marked ignored apply after you review it and run: wend trust")
	} else {
		b.WriteString(" (it sets nothing that needs trust)")
	}
	return b.String()
}
