# Three commits of one document: its versions, the comparisons, the links.
# Sourced by tests/integration/golden.sh with $repo and $dir set.
for n in 1 2 3; do
	cp "$dir/versions/$n.md" "$repo/content/polityka.md"
	commit_all "$repo" "polityka, wersja $n" "2025-0$((n + 3))-01T12:00:00+02:00"
done
