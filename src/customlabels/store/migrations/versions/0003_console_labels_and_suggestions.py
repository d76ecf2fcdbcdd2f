"""console labels and suggestions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('console_labels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'name')
    )
    with op.batch_alter_table('console_labels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_labels_project_id'), ['project_id'], unique=False)

    op.create_table('console_suggestions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('source_ref', sa.String(length=2048), nullable=False),
    sa.Column('version_arn', sa.String(length=2048), nullable=False),
    sa.Column('predictions', sa.Text(), nullable=False),
    sa.Column('uncertainty', sa.Float(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dataset_id', 'source_ref')
    )
    with op.batch_alter_table('console_suggestions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_suggestions_dataset_id'), ['dataset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_console_suggestions_uncertainty'), ['uncertainty'], unique=False)


def downgrade() -> None:
    op.drop_table('console_suggestions')
    op.drop_table('console_labels')
