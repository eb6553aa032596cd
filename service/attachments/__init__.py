"""Digitised dossier components (thành phần hồ sơ số hóa): files uploaded on tasks, kept outside
the web root under random keys, served only to those who may see their process instance."""
