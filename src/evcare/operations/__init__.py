"""Operations: backups and other whole-platform upkeep."""
