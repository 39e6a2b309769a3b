APP_CORRUPT := overlap
