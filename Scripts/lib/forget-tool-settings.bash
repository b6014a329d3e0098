# Sourced by the scripts that start servers and nodes of their own (Scripts/test, rehearsal, demo,
# bench, smoke-release) and by Scripts/provision: unsets every setting of the package's tools the
# caller's shell exports (the prefixes Scripts/check-doc-commands clears), so that a central or a
# node named there for other work (CENTRAL_URL, CENTRAL_PASSWORD, CENTRAL_CONFIG, BOXOFFICE_DB…)
# never reaches the script's own tools, nor clashes with what the script sets.
while read -r __setting; do
    unset "$__setting"
done < <(compgen -e | grep -E '^(BOXOFFICE_|CENTRAL_|SYNCD_|MAIL_|RECONCILE_|HEALTH_)' || true)
unset __setting
