"""The national public-service portal (Cổng Dịch vụ công quốc gia, DVCQG): online dossiers and
supplements arrive from it, every status change of its dossiers is pushed back to it."""
