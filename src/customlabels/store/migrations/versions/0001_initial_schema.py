"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('resource_arn', sa.String(length=2048), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('owner', sa.String(length=128), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_resource_arn'), ['resource_arn'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_state'), ['state'], unique=False)

    op.create_table('projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('arn', sa.String(length=2048), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('feature', sa.String(length=32), nullable=False),
    sa.Column('auto_update', sa.String(length=16), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('arn'),
    sa.UniqueConstraint('name')
    )
    op.create_table('tags',
    sa.Column('resource_arn', sa.String(length=2048), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('value', sa.String(length=256), nullable=False),
    sa.PrimaryKeyConstraint('resource_arn', 'key')
    )
    op.create_table('datasets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('arn', sa.String(length=2048), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('dataset_type', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('status_message', sa.Text(), nullable=True),
    sa.Column('status_message_code', sa.String(length=16), nullable=True),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('arn'),
    sa.UniqueConstraint('project_id', 'dataset_type')
    )
    with op.batch_alter_table('datasets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_datasets_project_id'), ['project_id'], unique=False)

    op.create_table('dataset_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('source_ref', sa.String(length=2048), nullable=False),
    sa.Column('line', sa.Text(), nullable=False),
    sa.Column('labeled', sa.Boolean(), nullable=False),
    sa.Column('has_errors', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dataset_id', 'source_ref')
    )
    with op.batch_alter_table('dataset_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dataset_entries_dataset_id'), ['dataset_id'], unique=False)

    op.create_table('entry_labels',
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=256), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('box_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], ),
    sa.ForeignKeyConstraint(['entry_id'], ['dataset_entries.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('entry_id', 'label')
    )
    with op.batch_alter_table('entry_labels', schema=None) as batch_op:
        batch_op.create_index('ix_entry_labels_dataset_label', ['dataset_id', 'label'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('entry_labels', schema=None) as batch_op:
        batch_op.drop_index('ix_entry_labels_dataset_label')

    op.drop_table('entry_labels')
    with op.batch_alter_table('dataset_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dataset_entries_dataset_id'))

    op.drop_table('dataset_entries')
    with op.batch_alter_table('datasets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_datasets_project_id'))

    op.drop_table('datasets')
    op.drop_table('tags')
    op.drop_table('projects')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobs_state'))
        batch_op.drop_index(batch_op.f('ix_jobs_resource_arn'))

    op.drop_table('jobs')
