"""The outbox: events written in the transaction of the change they describe, published after it
commits (service/uow.py). See operations.py."""
