"""Statistics and transparency (issue 13): the staff dashboard's figures, charts and exports,
and the public transparency page. Reads the other domains' tables; nothing imports it."""
