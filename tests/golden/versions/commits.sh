# Three commits of one document: its versions, the comparisons, the links.
# Sourced by tests/integration/golden.sh with $repo and $dir set. The
# first commit has no "Zmiana:" trailer (the public sees a neutral line),
# the others give the public their own Polish summary.
for n in 1 2 3; do
	cp "$dir/versions/$n.md" "$repo/content/polityka.md"
	case $n in
	1) msg="polityka, wersja $n" ;;
	2) msg=$(printf 'polityka, wersja %s\n\nZmiana: Dodano prawo do sprostowania danych.' "$n") ;;
	3) msg=$(printf 'polityka, wersja %s\n\nSigned-off-by: Redaktor <r@example.invalid>\nZmiana: Dodano informację o skardze do Prezesa UODO.' "$n") ;;
	esac
	commit_all "$repo" "$msg" "2025-0$((n + 3))-01T12:00:00+02:00"
done
