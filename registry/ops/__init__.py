"""Operating a gateway: settings, keys, the state directory and its lock, deployment, import, backups."""
