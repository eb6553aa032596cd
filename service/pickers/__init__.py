"""Pickers: the choices a form's field offers, fed by the server (the unit's specialists, the
procedure's components, the catalogue's agencies). A form declares them with `x-picker`."""
